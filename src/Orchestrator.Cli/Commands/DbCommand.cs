using System.CommandLine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator db migrate</c>: applies the schema migrations the configured database lacks, for deployments that
/// start workers with <c>Orchestrator:Storage:MigrateOnStart</c> false (a migration step before the rollout).
/// </summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var config = CliSupport.ConfigOption();
        var migrate = new Command("migrate", "Apply the schema migrations the database of Orchestrator:Storage lacks (safe to run again)") { config };
        migrate.SetAction(parse => Migrate(parse.GetValue(config), Console.Out, Console.Error));
        return new Command("db", "The worker's database") { migrate };
    }

    public static int Migrate(string? config, TextWriter output, TextWriter errors)
    {
        try
        {
            var storage = CliSupport.ConfiguredStorage(config);
            var applied = storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
            output.WriteLine(applied.Count == 0
                ? $"{storage.Provider}: the schema is current (migration {storage.KnownMigrations.Max()})"
                : $"{storage.Provider}: applied migration(s) {string.Join(", ", applied)}; the schema is at {storage.KnownMigrations.Max()}");
            return CliSupport.Ok;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
                errors.WriteLine(failure);
            return CliSupport.Failed;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or InvalidOperationException)
        {
            // Unreachable, read-only, or newer than this build.
            errors.WriteLine(ex.Message);
            return CliSupport.Failed;
        }
    }
}
