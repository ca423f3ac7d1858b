using Dapper;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// Applies the provider's numbered migrations that <c>schema_migrations</c> does not list, in order, in one
/// transaction that one migrator at a time holds: a second starter waits, then finds nothing left to do.
/// </summary>
internal static class Migrator
{
    public static async Task<IReadOnlyList<int>> MigrateAsync(StorageDialect dialect, TimeProvider time, CancellationToken cancellationToken)
    {
        using var turn = await dialect.WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await dialect.BeginMigrationAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await connection.ExecuteAsync(dialect.Command(dialect.Sql.CreateMigrationsTable, null, transaction, cancellationToken)).ConfigureAwait(false);
                var applied = (await connection.QueryAsync<int>(dialect.Command(dialect.Sql.SelectAppliedMigrations, null, transaction, cancellationToken)).ConfigureAwait(false)).ToHashSet();
                var known = dialect.Migrations.Select(m => m.Version).ToHashSet();
                if (applied.Except(known).DefaultIfEmpty().Max() is var newer and > 0)
                    throw new InvalidOperationException($"The {dialect.Provider} database has schema version {newer}, newer than this build knows ({known.Max()}); update the worker.");
                var appliedNow = new List<int>();
                foreach (var migration in dialect.Migrations.Where(m => !applied.Contains(m.Version)).OrderBy(m => m.Version))
                {
                    await connection.ExecuteAsync(dialect.Command(migration.Sql, null, transaction, cancellationToken)).ConfigureAwait(false);
                    await connection.ExecuteAsync(dialect.Command(dialect.Sql.InsertMigration, new
                    {
                        version = migration.Version,
                        name = migration.Name,
                        appliedAt = dialect.Time(time.GetUtcNow()),
                    }, transaction, cancellationToken)).ConfigureAwait(false);
                    appliedNow.Add(migration.Version);
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return appliedNow;
            }
        }
    }
}
