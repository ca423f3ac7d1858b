using System.Text.Json;
using Dapper;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>Journey versions with their text (<c>journey_versions</c>), and which versions customers are inside.</summary>
internal sealed class RelationalJourneyVersionStore(StorageDialect dialect) : IJourneyVersionStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task MarkInForceAsync(IReadOnlyList<JourneyDefinition> versions, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stored = versions.Where(v => v.Source is not null).ToList();
        if (stored.Count == 0)
            return;
        await dialect.WriteInTransactionAsync(async (connection, transaction) =>
        {
            foreach (var journey in stored)
            {
                await connection.ExecuteAsync(dialect.Command(dialect.Sql.UpsertJourneyVersion, new
                {
                    journeyId = journey.Id,
                    version = journey.Version,
                    fileName = journey.Source!.FileName,
                    sourceJson = JsonSerializer.Serialize(new SourceText(journey.Source.Yaml, journey.Source.TemplateFiles), Json),
                    now = dialect.Time(now),
                }, transaction, cancellationToken)).ConfigureAwait(false);
            }
            return stored.Count;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<StoredJourneyVersion>> LoadAllAsync(CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<StoredJourneyVersion>>(async connection =>
        {
            var rows = await connection.QueryAsync<JourneyVersionRow>(dialect.Command(dialect.Sql.SelectJourneyVersions, null, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r =>
            {
                var text = JsonSerializer.Deserialize<SourceText>(r.SourceJson, Json)
                    ?? throw new InvalidDataException($"journey version {r.JourneyId}@{r.Version} has no stored text");
                return new StoredJourneyVersion(r.JourneyId, r.Version, new JourneySource(r.FileName, text.Yaml, text.Templates),
                    StoredTime.Read(r.LastInForceAt));
            }).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<ActiveVersion>> ActiveVersionsAsync(CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<ActiveVersion>>(async connection =>
        {
            var rows = await connection.QueryAsync<ActiveVersionRow>(dialect.Command(dialect.Sql.SelectActiveVersions, null, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new ActiveVersion(r.JourneyId, r.Version, (int)r.Active)).ToList();
        }, cancellationToken);

    /// <summary><c>source_json</c>: the journey file's text and its template files by name.</summary>
    private sealed record SourceText(string Yaml, IReadOnlyDictionary<string, string> Templates);
}
