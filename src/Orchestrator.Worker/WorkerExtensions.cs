using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Worker.Demo;
using Orchestrator.Worker.Http;
using Orchestrator.Worker.Journeys;
using OpenTelemetry.Metrics;

namespace Orchestrator.Worker;

public static class WorkerExtensions
{
    /// <summary>The journeys (reloaded on change), the engine with its sending rules, and the shared ingress.</summary>
    public static IHostApplicationBuilder AddJourneyEngine(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JourneysOptions>().BindConfiguration(JourneysOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<JourneysOptions>, JourneysOptionsValidator>();
        builder.Services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<HttpOptions>, HttpOptionsValidator>();
        builder.Services.AddOptions<SendingOptions>().BindConfiguration(SendingOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.FrequencyCap is null || Duration.TryParse(o.FrequencyCap.Period, out _), $"{SendingOptions.SectionName}:FrequencyCap:Period is not a duration: {Duration.Help}")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<Startup.ShutdownOptions>().BindConfiguration(Startup.ShutdownOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // The host gives its services all but five seconds of the deadline; the deadline ends whatever still hangs.
        builder.Services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<Startup.ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(Math.Max(1, shutdown.Value.TimeoutSeconds - 5)));
        builder.Services.AddHostedService<Startup.ShutdownDeadline>();
        builder.Services.AddSingleton<JourneyCatalogHost>();
        builder.Services.AddSingleton<WorkerHealth>();
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<BacklogWatch>();
        builder.Services.AddHostedService<GaugeConnection>();
        // Prometheus scrapes /metrics (MapOrchestratorEndpoints); the instruments are OrchestratorMetrics'.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(OrchestratorMetrics.MeterName).AddPrometheusExporter());
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<TimersHealthCheck>("timers")
            .AddCheck<IntakeHealthCheck>("intake")
            .AddCheck<JourneysHealthCheck>("journeys")
            .AddCheck<SmtpHealthCheck>("smtp")
            .AddCheck<OutboxHealthCheck>("outbox")
            .AddCheck<WakeupsHealthCheck>("wakeups");
        builder.Services.AddSingleton<IJourneyCatalogSource>(sp => sp.GetRequiredService<JourneyCatalogHost>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JourneyCatalogHost>());
        builder.Services.AddSingleton(sp => new JourneyEngine(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SendingOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new EventProcessor(
            sp.GetRequiredService<JourneyEngine>(),
            sp.GetRequiredService<Core.Ports.IJourneyStore>(),
            () => sp.GetRequiredService<IJourneyCatalogSource>().Current,
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Core.Analysis.AnalysisOptions>>().Value,
            sp.GetRequiredService<ILogger<EventProcessor>>()));
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.SectionName)
            .Validate(o => Duration.TryParse(o.MaxClockSkew, out _), $"{IntakeOptions.SectionName}:MaxClockSkew is not a duration: {Duration.Help}")
            .ValidateOnStart();
        // Validated by EventLimits.SettingProblems, not ValidateDataAnnotations: orchestrator simulate reads the same
        // section and must refuse the same limits with the same lines.
        builder.Services.AddOptions<EventLimits>().BindConfiguration(EventLimits.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<EventLimits>, EventLimitsValidator>();
        builder.Services.AddSingleton(sp => new IntakeProgress(sp.GetRequiredService<TimeProvider>(), sp.GetServices<IntakeSource>()));
        // This worker's intake hold in the shared database, read by every worker's timers (SharedIntakeHold).
        builder.Services.AddSingleton(sp => new SharedIntakeHold(sp.GetRequiredService<IntakeProgress>(), sp.GetRequiredService<Core.Ports.IIntakeHoldStore>(),
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new GroupCommit(sp.GetRequiredService<EventProcessor>(), sp.GetRequiredService<OutboxSignal>(),
            holds: sp.GetRequiredService<SharedIntakeHold>()));
        builder.Services.AddSingleton(sp => new EventIngress(sp.GetRequiredService<GroupCommit>(), sp.GetRequiredService<IJourneyCatalogSource>(),
            sp.GetRequiredService<ILogger<EventIngress>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<IntakeOptions>>().Value,
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventLimits>>().Value));
        return builder;
    }

    /// <summary>Committed sends wake the outbox dispatcher at once instead of at its next poll; its claims tell the timers
    /// whether it is behind (smaller timer batches then, <see cref="OutboxSignal"/>).</summary>
    public static WebApplication ConnectOutboxSignal(this WebApplication app)
    {
        var dispatcher = app.Services.GetRequiredService<Orchestrator.Email.OutboxDispatcher>();
        var signal = app.Services.GetRequiredService<OutboxSignal>();
        signal.Committed += dispatcher.Wake;
        dispatcher.Claimed += signal.SenderClaimed;
        return app;
    }

    /// <summary><c>--demo [events.jsonl]</c> replays sample events into the running worker.</summary>
    public static IHostApplicationBuilder AddDemo(this IHostApplicationBuilder builder, string[] args)
    {
        var index = Array.IndexOf(args, "--demo");
        if (index < 0)
            return builder;
        var file = index + 1 < args.Length && !args[index + 1].StartsWith("--", StringComparison.Ordinal) ? args[index + 1] : "samples/events.jsonl";
        builder.Services.AddHostedService(sp => new DemoReplay(Path.GetFullPath(file, builder.Environment.ContentRootPath), sp.GetRequiredService<EventIngress>(), sp.GetRequiredService<ILogger<DemoReplay>>()));
        return builder;
    }
}

/// <summary>Every limit out of its range, one failure each (<see cref="EventLimits.SettingProblems"/>).</summary>
internal sealed class EventLimitsValidator : Microsoft.Extensions.Options.IValidateOptions<EventLimits>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, EventLimits options) =>
        options.SettingProblems() is { Count: > 0 } problems
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
