using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Tests;

public sealed class StorageOptionsTests
{
    [Fact]
    public void Defaults_are_a_sqlite_file()
    {
        var options = new StorageOptions();
        Assert.Equal(StorageProvider.Sqlite, options.Provider);
        Assert.Equal("Data Source=data/orchestrator.db", options.GetEffectiveConnectionString());
        Assert.True(new StorageOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void SqlServer_needs_a_connection_string()
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions { Provider = StorageProvider.SqlServer });
        Assert.True(result.Failed);
        Assert.Contains("Orchestrator:Storage:ConnectionString is required when Provider is SqlServer", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_values_are_all_reported()
    {
        var failures = Assert.Throws<OptionsValidationException>(() => JourneyStorage.Create(
            new StorageOptions { ConnectionString = "Data Source=:memory:", CommandTimeoutSeconds = 0 }, TimeProvider.System)).Failures.ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.Contains("CommandTimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Data Source must name a file", StringComparison.Ordinal));
        Assert.True(new StorageOptionsValidator().Validate(null, new StorageOptions { Provider = (StorageProvider)7 }).Failed);
        Assert.True(new StorageOptionsValidator().Validate(null, new StorageOptions { ConnectionString = "Nonsense Key=1" }).Failed);
    }

    [Fact]
    public async Task AddStorage_registers_the_ports_and_migrates_on_start_into_a_new_folder()
    {
        var root = Path.Combine(Path.GetTempPath(), "orchestrator-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = root, EnvironmentName = "Test" });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:Storage:ConnectionString"] = "Data Source=state/orchestrator.db" });
            builder.AddStorage();
            using var host = builder.Build();
            await host.StartAsync();
            Assert.True(File.Exists(Path.Combine(root, "state", "orchestrator.db")));
            await using (var unit = await host.Services.GetRequiredService<IJourneyStore>().BeginAsync("c-1", CancellationToken.None))
                Assert.Null(await unit.LoadCustomerAsync(CancellationToken.None));
            Assert.Empty(await host.Services.GetRequiredService<IOutcomeReader>().ReadOutcomesAsync(CancellationToken.None));
            Assert.NotNull(host.Services.GetRequiredService<IWakeupStore>());
            Assert.NotNull(host.Services.GetRequiredService<IOutbox>());
            Assert.Empty(await host.Services.GetRequiredService<JourneyStorage>().MigrateAsync(CancellationToken.None));
            await host.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AddStorage_fails_at_start_with_every_problem_listed()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:Storage:Provider"] = "SqlServer",
            ["Orchestrator:Storage:CommandTimeoutSeconds"] = "0",
        });
        builder.AddStorage();
        using var host = builder.Build();
        var error = Assert.ThrowsAny<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains("ConnectionString is required", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("CommandTimeoutSeconds", StringComparison.Ordinal));
    }
}
