using Microsoft.Extensions.Logging;
using Orchestrator.Contracts;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>The engine records a zone fallback in outcomes; the processor tells the operator, once per unknown zone name.</summary>
public sealed class UnknownZoneWarningTests
{
    [Fact]
    public async Task The_processor_warns_once_per_unknown_zone_name_and_never_for_a_known_one()
    {
        using var h = new EngineHarness().WithJourney("""
            id: morning
            name: Morning
            entry:
              event: signed.up
            time_zone: Europe/Amsterdam
            steps:
              - id: until-morning
                wait_until: { time: "09:00" }
            """).Load();
        using var store = new InMemoryJourneyStore();
        var logger = new ListLogger();
        var processor = new EventProcessor(h.Engine, store, () => h.Catalog, logger: logger);

        var zones = new[] { "Europe/Amsterdm", "Europe/Amsterdm", "EST", "Europe/Berlin", "EST", "Europe/Amsterdm" };
        for (var i = 0; i < zones.Length; i++)
            await processor.ProcessEventAsync(SignUp($"c-{i}", zones[i]), CancellationToken.None);

        var warnings = logger.Messages.Where(m => m.Level == LogLevel.Warning).Select(m => m.Text).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("Time zone Europe/Amsterdm (customer c-0) is not an IANA zone name", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("Time zone EST (customer c-2) is not an IANA zone name", warnings[1], StringComparison.Ordinal);
    }

    private static CustomerEvent SignUp(string customerId, string zone) => new()
    {
        EventId = "e-" + customerId,
        CustomerId = customerId,
        Type = "signed.up",
        OccurredAt = EngineHarness.DefaultStart,
        Customer = new CustomerProfileUpdate { Email = customerId + "@example.com", TimeZone = zone },
    };

    private sealed class ListLogger : ILogger<EventProcessor>
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }
}
