using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The analysis read side. Each read opens its own connection and no transaction of its own, so it never holds what
/// the worker's writers need: SQLite's WAL lets readers and the one writer run side by side; on SQL Server read
/// committed snapshot gives readers the last committed rows without shared locks.
/// </summary>
internal sealed class RelationalAnalysisReader(StorageDialect dialect) : IAnalysisReader
{
    public Task<IReadOnlyList<string>> ReadJourneyIdsAsync(CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<string>>(async connection =>
            (await connection.QueryAsync<string>(dialect.Command(dialect.Sql.SelectJourneyIds, null, null, cancellationToken)).ConfigureAwait(false)).ToList(), cancellationToken);

    public async IAsyncEnumerable<OutcomeFact> ReadJourneyOutcomesAsync(string journeyId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // A million rows repeat a few dozen distinct versions, steps, kinds and reasons: keep one string of each.
            var strings = new Dictionary<string, string>(StringComparer.Ordinal);
            string? Intern(string? value)
            {
                if (value is null)
                    return null;
                if (strings.TryGetValue(value, out var kept))
                    return kept;
                strings[value] = value;
                return value;
            }
            // A plain reader, columns by position: at a million rows Dapper's per-row mapping is most of the time.
            await using var command = connection.CreateCommand();
            command.CommandText = dialect.Sql.SelectJourneyOutcomes;
            command.CommandTimeout = dialect.CommandTimeoutSeconds * 10;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@journeyId";
            parameter.Value = journeyId;
            command.Parameters.Add(parameter);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return new OutcomeFact(StoredTime.Read(reader.GetValue(0)), reader.GetString(1), reader.GetString(2), Intern(reader.GetString(3))!,
                        Intern(Text(4)), Intern(reader.GetString(5))!, Intern(Text(6)), Intern(Text(7)), Text(8));
                }
            }
        }
    }

    public Task<IReadOnlyList<ConversionFact>> ReadConversionsAsync(CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<ConversionFact>>(async connection =>
        {
            // Read by hand, not mapped by Dapper: with no row at all, SQLite reports the event id (a JSON extract, no
            // declared type) as a BLOB, and Dapper then finds no constructor to map it to: an empty store's report failed.
            var facts = new List<ConversionFact>();
            var reader = await connection.ExecuteReaderAsync(dialect.Command(dialect.Sql.SelectConversions, null, null, cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    facts.Add(new ConversionFact(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : Convert.ToString(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture)));
            }
            return facts;
        }, cancellationToken);

    public Task<IReadOnlyList<FeedbackAnswer>> ReadFeedbackAsync(string journeyId, CancellationToken cancellationToken) =>
        ReadAnswersAsync(dialect.Sql.SelectFeedback, new { journeyId }, cancellationToken);

    public Task<IReadOnlyList<FeedbackAnswer>> ReadCustomerFeedbackAsync(string customerId, CancellationToken cancellationToken) =>
        ReadAnswersAsync(dialect.Sql.SelectCustomerFeedback, new { customerId }, cancellationToken);

    private Task<IReadOnlyList<FeedbackAnswer>> ReadAnswersAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<FeedbackAnswer>>(async connection =>
        {
            var rows = await connection.QueryAsync<FeedbackRow>(dialect.Command(sql, parameters, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new FeedbackAnswer
            {
                EventId = r.EventId, CustomerId = r.CustomerId, At = StoredTime.Read(r.At), Metric = r.Metric, Score = r.Score,
                Level = StoredNames.ParseFeedbackLevel(r.Level), Attributed = r.Attributed, JourneyId = r.JourneyId, Version = r.Version,
                StepId = r.StepId, InstanceId = r.InstanceId, SendKey = r.SendKey, Comment = r.Comment,
            }).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<LoggedEvent>> ReadEventsOfTypeAsync(string type, CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<LoggedEvent>>(async connection =>
        {
            var rows = await connection.QueryAsync<LoggedEventRow>(dialect.Command(dialect.Sql.SelectEventsOfType, new { eventType = type }, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new LoggedEvent(r.EventId, r.CustomerId, r.Type, StoredTime.Read(r.OccurredAt))).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadCustomerEventsAsync(string customerId, CancellationToken cancellationToken) =>
        ReadStoredEventsAsync(dialect.Sql.SelectCustomerEvents, new { customerId }, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadEventsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        ReadStoredEventsAsync(dialect.Sql.SelectEventsSince, new { since = dialect.Time(since) }, cancellationToken);

    public Task<IReadOnlyList<Core.Engine.Outcome>> ReadCustomerOutcomesAsync(string customerId, CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<Core.Engine.Outcome>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutcomeRow>(dialect.Command(dialect.Sql.SelectCustomerOutcomes, new { customerId }, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToOutcome()).ToList();
        }, cancellationToken);

    private Task<IReadOnlyList<StoredEvent>> ReadStoredEventsAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<StoredEvent>>(async connection =>
        {
            var rows = await connection.QueryAsync<StoredEventRow>(dialect.Command(sql, parameters, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new StoredEvent(new Orchestrator.Contracts.CustomerEvent
            {
                EventId = r.EventId,
                CustomerId = r.CustomerId,
                Type = r.Type,
                OccurredAt = StoredTime.Read(r.OccurredAt),
                Properties = StateJson.ReadElement(r.PropertiesJson),
                Customer = StateJson.ReadCustomerUpdate(r.CustomerJson),
            }, StoredTime.Read(r.ReceivedAt))).ToList();
        }, cancellationToken);
}

/// <summary>Retention statements (the event log, send bodies), run in batches so that none holds the writer for long.</summary>
internal static class RetentionCleanup
{
    /// <summary>Runs <paramref name="sql"/> (with @before and @batch) until it changes fewer than a batch of rows; returns how many it changed.</summary>
    public static async Task<int> RepeatAsync(StorageDialect dialect, string sql, DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var deleted = await dialect.WriteAsync(connection => connection.ExecuteAsync(dialect.Command(sql,
                new { before = dialect.Time(before), batch = batchSize }, null, cancellationToken)), cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < batchSize)
                return total;
        }
    }
}
