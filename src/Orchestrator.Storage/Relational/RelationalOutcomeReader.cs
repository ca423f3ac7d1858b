using Dapper;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// Outcomes in the simulator's order: time, customer, then the order within the customer's decisions (revision and
/// seq), which also places the outbox's later <c>sent</c> where the engine decided the send.
/// </summary>
internal sealed class RelationalOutcomeReader(StorageDialect dialect) : IOutcomeReader
{
    public Task<IReadOnlyList<Outcome>> ReadOutcomesAsync(CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<Outcome>>(async connection =>
        {
            var rows = await connection.QueryAsync<OutcomeRow>(dialect.Command(dialect.Sql.SelectOutcomes, null, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToOutcome()).ToList();
        }, cancellationToken);
}
