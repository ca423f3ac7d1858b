using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Startup;

/// <summary>A wrong setting stops the worker at start with a message that names it, as the operator would write it.</summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class InvalidSettingsTests : IDisposable
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("Orchestrator__Scheduling__PollIntervalMilliseconds", "5", "Orchestrator:Scheduling:PollIntervalMilliseconds: The field PollIntervalMilliseconds must be between 100 and 60000.")]
    [InlineData("Orchestrator__Messaging__Transport", "Kafka", "'Kafka' at 'Orchestrator:Messaging:Transport'", "(use one of: None, RabbitMq)")]
    [InlineData("Orchestrator__Sending__FrequencyCap__Period", "often", "Orchestrator:Sending:FrequencyCap:Period is not a duration")]
    [InlineData("Orchestrator__Intake__MaxClockSkew", "a while", "Orchestrator:Intake:MaxClockSkew is not a duration")]
    [InlineData("Orchestrator__Email__Port", "0", "Orchestrator:Email:Port: The field Port must be between 1 and 65535.")]
    [InlineData("Orchestrator__Journeys__Folder", "no-such-folder", "Orchestrator:Journeys:Folder: 'no-such-folder' does not exist")]
    [InlineData("Orchestrator__Http__ApiKey", "dev-only-change-me", "Orchestrator:Http:ApiKey is a published development value")]
    [InlineData("Orchestrator__Http__ApiKey", "short-key", "Orchestrator:Http:ApiKey is shorter than 16 characters")]
    [InlineData("Orchestrator__Http__PagesPassword", "dev-only-pages-password", "Orchestrator:Http:PagesPassword is a published development value")]
    [InlineData("Orchestrator__Http__PagesPassword", "short-password", "Orchestrator:Http:PagesPassword is shorter than 16 characters")]
    [InlineData("Orchestrator__Email__UnsubscribeSecret", "development-only-unsubscribe-secret", "UnsubscribeSecret is a published development value", "unsubscribe any customer")]
    public async Task A_wrong_setting_stops_the_worker_with_a_message_naming_it(string variable, string value, params string[] expected)
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings[variable] = value;

        var (exit, output) = await WorkerProcess.RunToExitAsync(_folder.Path, settings, TimeSpan.FromSeconds(60));

        Assert.Equal(3, exit);
        Assert.Contains("orchestrator-worker did not start: fix these settings", output, StringComparison.Ordinal);
        foreach (var text in expected)
            Assert.Contains(text, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_api_key_stops_the_worker_even_in_development()
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["DOTNET_ENVIRONMENT"] = "Development";
        settings["Orchestrator__Http__ApiKey"] = " ";

        var (exit, output) = await WorkerProcess.RunToExitAsync(_folder.Path, settings, TimeSpan.FromSeconds(60));

        Assert.Equal(3, exit);
        Assert.Contains("Orchestrator:Http:ApiKey is empty", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_wrong_settings_are_all_reported_at_once()
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Scheduling__Clustered"] = "true";
        settings["Orchestrator__Scheduling__LeaseSeconds"] = "5";
        settings["Orchestrator__Scheduling__PollIntervalMilliseconds"] = "6000";

        var (exit, output) = await WorkerProcess.RunToExitAsync(_folder.Path, settings, TimeSpan.FromSeconds(60));

        Assert.Equal(3, exit);
        Assert.Contains("Orchestrator:Scheduling:Clustered needs Store SqlServer", output, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Scheduling:LeaseSeconds must be longer than PollIntervalMilliseconds", output, StringComparison.Ordinal);
    }

    /// <summary>A data path that cannot be created (here a file where the folder should be; the tests run as root, whom
    /// permissions do not stop) is reported with the setting and the reason, not a stack trace and SIGABRT.</summary>
    [Theory]
    [InlineData("Orchestrator__Storage__ConnectionString", "Orchestrator:Storage:ConnectionString: the folder")]
    [InlineData("Orchestrator__Scheduling__ConnectionString", "Orchestrator:Scheduling:ConnectionString: the folder")]
    public async Task A_data_folder_that_cannot_be_created_stops_the_worker_with_the_setting_and_the_reason(string variable, string expected)
    {
        var blocker = Path.Combine(_folder.Path, "not-a-folder");
        File.WriteAllText(blocker, "a file where the data folder should be");
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings[variable] = $"Data Source={Path.Combine(blocker, "store.db")}";

        var (exit, output) = await WorkerProcess.RunToExitAsync(_folder.Path, settings, TimeSpan.FromSeconds(60));

        Assert.Equal(3, exit);
        Assert.Contains($"{expected} {blocker} ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }
}
