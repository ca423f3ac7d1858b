using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email.Tests;

public sealed class EmailOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new EmailOptionsValidator().Validate(null, new EmailOptions()).Succeeded);
    }

    [Theory]
    [InlineData("Development", EmailOptions.DevelopmentUnsubscribeSecret, null)]
    [InlineData("Development", " ", "is empty")]
    [InlineData("Production", EmailOptions.DevelopmentUnsubscribeSecret, "is a published development value")]
    [InlineData("Production", "change-me-in-production", "is a published development value")]
    [InlineData("Staging", "fifteen-chars!!", "is shorter than 16 characters")]
    [InlineData("Production", "a-secret-of-our-own-0123", null)]
    public void Outside_development_a_published_or_short_unsubscribe_secret_is_refused(string environment, string secret, string? problem)
    {
        var host = new FakeEnvironment { EnvironmentName = environment };
        var result = new EmailOptionsValidator(host).Validate(null, new EmailOptions { UnsubscribeSecret = secret });
        if (problem is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            Assert.True(result.Failed);
            Assert.Contains(result.Failures!, f => f.StartsWith("UnsubscribeSecret " + problem, StringComparison.Ordinal));
        }
    }

    private sealed class FakeEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = ".";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }

    [Fact]
    public void The_validator_reports_every_failure_at_once()
    {
        var options = new EmailOptions
        {
            Host = "smtp.example.com",
            Username = "mailer",
            UnsubscribeBaseUrl = "/unsubscribe",
            UnsubscribeMailto = "not a mailbox",
            MessageIdDomain = "bad domain",
            RetryDelays = [TimeSpan.Zero],
            AbandonAfter = TimeSpan.FromMinutes(1),
        };

        var result = new EmailOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(6, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("Username is set without Password", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("UnsubscribeBaseUrl", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("UnsubscribeMailto", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MessageIdDomain", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("RetryDelays", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("AbandonAfter", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_host_the_sender_writes_to_the_pickup_folder_under_the_content_root()
    {
        using var host = Build([]);

        var sender = Assert.IsType<PickupFolderEmailSender>(host.Services.GetRequiredService<IEmailSender>());
        var environment = host.Services.GetRequiredService<IHostEnvironment>();
        Assert.Equal(Path.Combine(environment.ContentRootPath, "data", "outbox-eml"), sender.Folder);
        Assert.Same(host.Services.GetRequiredService<OutboxDispatcher>(), host.Services.GetServices<IHostedService>().OfType<OutboxDispatcher>().Single());
    }

    [Fact]
    public void With_a_host_the_sender_is_SMTP_and_configured_retry_delays_replace_the_defaults()
    {
        using var host = Build(new()
        {
            ["Orchestrator:Email:Host"] = "smtp.example.com",
            ["Orchestrator:Email:Port"] = "587",
            ["Orchestrator:Email:Security"] = "StartTls",
            ["Orchestrator:Email:RetryDelays:0"] = "00:01:00",
            ["Orchestrator:Email:RetryDelays:1"] = "00:05:00",
        });

        Assert.IsType<SmtpEmailSender>(host.Services.GetRequiredService<IEmailSender>());
        var options = host.Services.GetRequiredService<IOptions<EmailOptions>>().Value;
        Assert.Equal(587, options.Port);
        Assert.Equal(SmtpSecurity.StartTls, options.Security);
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)], options.EffectiveRetryDelays);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_with_every_failure()
    {
        using var host = Build(new()
        {
            ["Orchestrator:Email:Port"] = "0",
            ["Orchestrator:Email:Password"] = "secret-without-user",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("Port", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Password is set without Username", StringComparison.Ordinal));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Path.GetTempPath() });
        // The host runs as Production: a secret of its own, as a deployment has.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:Email:UnsubscribeSecret"] = "a-secret-of-the-tests-0123" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<IOutbox>(_ => new SqliteTestOutbox(TimeProvider.System)); // Storage's, as in the real worker
        builder.AddEmail();
        return builder.Build();
    }
}
