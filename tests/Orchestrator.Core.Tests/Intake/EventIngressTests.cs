using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;
using Orchestrator.Core.Tests.Engine;

namespace Orchestrator.Core.Tests.Intake;

/// <summary>
/// The one way in that HTTP, AMQP and the demo share, without a worker process: validation, the clock-skew rule, the
/// commit through <see cref="GroupCommit"/> into the simulator's store, duplicates, unused types and a database that
/// cannot record.
/// </summary>
public sealed class EventIngressTests : IDisposable
{
    private readonly EngineHarness _h = new EngineHarness()
        .WithJourney("""
            id: welcome
            name: Welcome
            entry:
              event: signed.up
            steps:
              - id: hello
                email: { template: hello }
            """)
        .WithTemplate("hello", "Hello")
        .Load();

    private readonly InMemoryJourneyStore _store = new();
    private readonly OutboxSignal _signal = new();
    private int _wakes;

    public EventIngressTests() => _signal.Committed += () => _wakes++;

    public void Dispose()
    {
        _store.Dispose();
        _h.Dispose();
    }

    private DateTimeOffset Now => _h.Time.GetUtcNow();

    private EventIngress Ingress(IJourneyStore? store = null, string maxClockSkew = "5m") =>
        new(new GroupCommit(new EventProcessor(_h.Engine, store ?? _store, () => _h.Catalog), _signal),
            new CatalogSource(_h.Catalog), NullLogger<EventIngress>.Instance, _h.Time, new IntakeOptions { MaxClockSkew = maxClockSkew });

    private CustomerEvent SignUp(string eventId, string customerId, DateTimeOffset? at = null, string type = "signed.up") => new()
    {
        EventId = eventId,
        CustomerId = customerId,
        Type = type,
        OccurredAt = at ?? Now,
        Customer = new CustomerProfileUpdate { Email = $"{customerId}@example.com" },
    };

    [Fact]
    public async Task An_event_is_decided_committed_and_wakes_the_sender_and_its_repeat_is_a_duplicate()
    {
        var ingress = Ingress();

        var first = await ingress.IngestAsync(SignUp("e-1", "c-1"), CancellationToken.None);
        var again = await ingress.IngestAsync(SignUp("e-1", "c-1"), CancellationToken.None);

        Assert.Equal(new IngestResult("e-1", IngestStatus.Processed, null, first.Outcomes, 1), first);
        Assert.True(first.Outcomes > 0);
        Assert.Equal(new IngestResult("e-1", IngestStatus.Duplicate, "already processed (same eventId)", 0, 0), again);
        var decision = Assert.Single(_store.Decisions);
        Assert.Equal("c-1@example.com", Assert.Single(decision.Sends).To);
        Assert.Equal(1, _wakes);
    }

    [Fact]
    public async Task A_rejected_event_of_a_batch_has_its_reason_changes_nothing_and_the_others_are_decided()
    {
        var results = await Ingress().IngestManyAsync(
            [SignUp("e-1", "c-1"), SignUp("e-2", "") with { Type = " " }, SignUp("e-3", "c-3")], CancellationToken.None);

        Assert.Equal([IngestStatus.Processed, IngestStatus.Rejected, IngestStatus.Processed], results.Select(r => r.Status));
        Assert.Equal("missing required field(s) customerId, type", results[1].Message);
        Assert.Equal(["c-1", "c-3"], _store.Decisions.Select(d => d.State.CustomerId));
    }

    [Fact]
    public async Task An_event_dated_beyond_the_clock_skew_is_rejected_and_one_within_it_is_taken()
    {
        var ingress = Ingress(maxClockSkew: "5m");

        var results = await ingress.IngestManyAsync(
            [SignUp("e-far", "c-1", Now.AddMinutes(5).AddSeconds(1)), SignUp("e-near", "c-2", Now.AddMinutes(5))], CancellationToken.None);

        Assert.Equal(IngestStatus.Rejected, results[0].Status);
        Assert.Contains("ahead", results[0].Message, StringComparison.Ordinal);
        Assert.Equal(IngestStatus.Processed, results[1].Status);
        Assert.Equal(["c-2"], _store.Decisions.Select(d => d.State.CustomerId));
    }

    [Fact]
    public async Task A_type_no_journey_uses_is_recorded_with_a_warning_and_a_reserved_type_is_not_warned_about()
    {
        var ingress = Ingress();

        var unused = await ingress.IngestAsync(SignUp("e-1", "c-1", type: "page.viewed"), CancellationToken.None);
        var reserved = await ingress.IngestAsync(SignUp("e-2", "c-1", type: ReservedEvents.Unsubscribed) with { Customer = null }, CancellationToken.None);

        Assert.Equal(IngestStatus.Processed, unused.Status);
        Assert.Equal("no journey uses event type 'page.viewed'; it was recorded, its customer fields updated the profile, nothing else changed", unused.Message);
        Assert.Equal((IngestStatus.Processed, (string?)null), (reserved.Status, reserved.Message));
        Assert.Equal(2, _store.Decisions.Count);
    }

    [Fact]
    public async Task When_the_database_cannot_record_the_batch_answers_unavailable_and_a_single_event_throws()
    {
        var ingress = Ingress(new UnavailableStore());

        var results = await ingress.IngestManyAsync([SignUp("e-1", "c-1"), SignUp("e-2", "")], CancellationToken.None);
        var single = await Assert.ThrowsAsync<StoreUnavailableException>(() => ingress.IngestAsync(SignUp("e-3", "c-3"), CancellationToken.None));

        Assert.Equal(new IngestResult("e-1", IngestStatus.Unavailable, "database is gone", 0, 0), results[0]);
        Assert.Equal(IngestStatus.Rejected, results[1].Status); // judged before the database is asked
        Assert.Equal("database is gone", single.Message);
        Assert.Equal(0, _wakes);
    }

    [Fact]
    public async Task An_event_a_little_ahead_is_waited_for_until_the_clock_reaches_it_and_one_too_far_ahead_is_not()
    {
        var ingress = Ingress(maxClockSkew: "5m");
        var ahead = SignUp("e-1", "c-1", Now.AddSeconds(30));

        var waiting = ingress.WaitUntilItsTimeAsync(ahead, CancellationToken.None);
        _h.Time.Advance(TimeSpan.FromSeconds(29));
        await Task.Yield();
        Assert.False(waiting.IsCompleted);
        _h.Time.Advance(TimeSpan.FromMilliseconds(1001)); // its delay ends a millisecond past the event's time
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Now >= ahead.OccurredAt);

        // Beyond the skew it returns at once: the event is rejected, not held.
        await ingress.WaitUntilItsTimeAsync(SignUp("e-2", "c-1", Now.AddMinutes(6)), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class CatalogSource(JourneyCatalog catalog) : IJourneyCatalogSource
    {
        public JourneyCatalog Current => catalog;
    }

    private sealed class UnavailableStore : IJourneyStore
    {
        public Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken) =>
            throw new StoreUnavailableException("database is gone");

        public Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken) =>
            throw new StoreUnavailableException("database is gone");
    }
}
