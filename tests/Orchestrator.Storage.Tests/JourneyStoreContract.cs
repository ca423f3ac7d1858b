using System.Data;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Simulation;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>
/// What every storage provider must do, run once per provider by a small subclass that supplies fresh, empty
/// databases. Each test gets its own database, migrated in <see cref="InitializeAsync"/>.
/// </summary>
public abstract partial class JourneyStoreContract : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected FakeTimeProvider Time { get; } = new(T0);

    protected JourneyStorage Storage { get; private set; } = null!;

    /// <summary>A new empty database (no migrations applied) for this test; called once per test, more when a test needs two.</summary>
    protected abstract Task<JourneyStorage> CreateDatabaseAsync();

    public virtual async Task InitializeAsync()
    {
        Storage = await CreateDatabaseAsync();
        Assert.Equal(Storage.KnownMigrations, await Storage.MigrateAsync(None));
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [SkippableFact]
    public async Task Migrations_are_idempotent()
    {
        Assert.Empty(await Storage.MigrateAsync(None));
        Assert.Empty(await Storage.MigrateAsync(None));
        Assert.Equal(Storage.KnownMigrations.Count, await CountAsync("SELECT COUNT(*) FROM schema_migrations"));
    }

    [SkippableFact]
    public async Task Concurrent_migrators_apply_each_migration_once()
    {
        var fresh = await CreateDatabaseAsync();
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => fresh.MigrateAsync(None))));
        Assert.Equal(fresh.KnownMigrations, runs.SelectMany(r => r).Order());
    }

    [SkippableFact]
    public async Task Inbox_accepts_an_event_id_once()
    {
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
        {
            Assert.True(await unit.TryAddToInboxAsync(Event("e-1", "c-1"), None));
            await unit.CommitAsync(None);
        }
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
        {
            Assert.False(await unit.TryAddToInboxAsync(Event("e-1", "c-1"), None));
            Assert.True(await unit.TryAddToInboxAsync(Event("e-2", "c-1"), None));
        }
        // The second unit was not committed: e-2 is still new.
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
            Assert.True(await unit.TryAddToInboxAsync(Event("e-2", "c-1"), None));
    }

    [SkippableFact]
    public async Task Unknown_customer_loads_as_null()
    {
        await using var unit = await Storage.Store.BeginAsync("nobody", None);
        Assert.Null(await unit.LoadCustomerAsync(None));
    }

    [SkippableFact]
    public async Task Saved_state_loads_back_equal()
    {
        var state = RichState("c-1");
        var expected = Describe(state).Replace("revision 0", "revision 1", StringComparison.Ordinal);
        await SaveAsync(Decision(state));
        Assert.Equal(1, state.Revision);

        var loaded = await LoadAsync("c-1");
        Assert.NotNull(loaded);
        Assert.Equal(expected, Describe(loaded));
        Assert.True(loaded.Instances[0].EntryProperties!.Value.GetProperty("ok").GetBoolean());
        Assert.Equal(404.36m, loaded.Profile.Attributes["lifetimeValue"].GetDecimal());

        // The next decision replaces the instances: an ended one the engine pruned is gone.
        loaded.Instances.RemoveAt(1);
        loaded.Instances[0].StepId = "next-step";
        loaded.Unsubscribed = false;
        await SaveAsync(Decision(loaded));
        var reloaded = await LoadAsync("c-1");
        Assert.Equal(2, reloaded!.Revision);
        Assert.Equal(Describe(loaded), Describe(reloaded));
        Assert.Single(reloaded.Instances);
    }

    [SkippableFact]
    public async Task A_unit_disposed_without_commit_changes_nothing()
    {
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
        {
            Assert.True(await unit.TryAddToInboxAsync(Event("e-1", "c-1"), None));
            var state = RichState("c-1");
            await unit.SaveAsync(Decision(state,
                [Outcome("c-1", "i-active", T0, OutcomeKind.Entered)],
                [Email("c-1", "k-1", T0)],
                [new Wakeup("c-1", "i-active", T0.AddDays(1))]), None);
        }
        Assert.Null(await LoadAsync("c-1"));
        Assert.Empty(await Storage.Outcomes.ReadOutcomesAsync(None));
        Assert.Empty(await ClaimEmailsAsync("w", T0.AddYears(1), 10, None));
        Assert.Null(await NextDueAsync());
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM suppressions"));
        await using var again = await Storage.Store.BeginAsync("c-1", None);
        Assert.True(await again.TryAddToInboxAsync(Event("e-1", "c-1"), None));
    }

    [SkippableFact]
    public async Task Outcomes_are_appended_and_read_back_in_order_with_their_detail_types()
    {
        var c1 = RichState("c-1");
        await SaveAsync(Decision(c1,
        [
            Outcome("c-1", "i-active", T0.AddMinutes(1), OutcomeKind.Branched, ("case", 2), ("next", "step-3")),
            Outcome("c-1", "i-active", T0.AddMinutes(1), OutcomeKind.Converted, ("event", "order.placed"), ("afterCompletion", true)),
            Outcome("c-1", "i-active", T0.AddMinutes(1).AddTicks(1), OutcomeKind.Completed),
        ]));
        await SaveAsync(Decision(RichState("c-0"), [Outcome("c-0", "i-0", T0.AddMinutes(1), OutcomeKind.Entered, ("key", "k"))]));
        await SaveAsync(Decision(c1, [Outcome("c-1", "i-active", T0, OutcomeKind.Waiting, ("until", "2026-03-03T08:00:00Z"), ("big", 5_000_000_000L))]));

        var outcomes = await Storage.Outcomes.ReadOutcomesAsync(None);
        Assert.Equal(
        [
            """{"at":"2026-03-02T08:00:00Z","journey":"welcome","customerId":"c-1","instance":"i-active","step":"step-1","outcome":"waiting","variant":"b","detail":{"until":"2026-03-03T08:00:00Z","big":5000000000}} version=3 types=until:String,big:Int64""",
            """{"at":"2026-03-02T08:01:00Z","journey":"welcome","customerId":"c-0","instance":"i-0","step":"step-1","outcome":"entered","variant":"b","detail":{"key":"k"}} version=3 types=key:String""",
            """{"at":"2026-03-02T08:01:00Z","journey":"welcome","customerId":"c-1","instance":"i-active","step":"step-1","outcome":"branched","variant":"b","detail":{"case":2,"next":"step-3"}} version=3 types=case:Int32,next:String""",
            """{"at":"2026-03-02T08:01:00Z","journey":"welcome","customerId":"c-1","instance":"i-active","step":"step-1","outcome":"converted","variant":"b","detail":{"event":"order.placed","afterCompletion":true}} version=3 types=event:String,afterCompletion:Boolean""",
            """{"at":"2026-03-02T08:01:00.000Z","journey":"welcome","customerId":"c-1","instance":"i-active","step":"step-1","outcome":"completed","variant":"b","detail":null} version=3 types=""",
        ], outcomes.Select(Describe));
        Assert.Equal(T0.AddMinutes(1).AddTicks(1), outcomes[^1].At);
        Assert.Equal(2, outcomes[2].Detail!["case"]);
        Assert.Equal(true, outcomes[3].Detail!["afterCompletion"]);
    }

    [SkippableFact]
    public async Task Wakeups_are_replaced_claimed_once_per_lease_and_report_the_next_due()
    {
        Assert.Null(await NextDueAsync());
        var c1 = RichState("c-1");
        await SaveAsync(Decision(c1, wakeups: [new Wakeup("c-1", "i-active", T0.AddMinutes(10)), new Wakeup("c-1", "i-other", T0.AddMinutes(20))]));
        await SaveAsync(Decision(RichState("c-2"), wakeups: [new Wakeup("c-2", "i-active", T0.AddMinutes(15))]));
        await SaveAsync(Decision(RichState("c-3"), wakeups: [new Wakeup("c-3", "i-active", T0.AddDays(2))]));
        Assert.Equal(T0.AddMinutes(10), await NextDueAsync());

        var lease = TimeSpan.FromMinutes(1);
        Assert.Empty(await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(9), 10, lease, None));
        Assert.Equal(["c-1"], await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(30), 1, lease, None));
        Assert.Equal(["c-2"], await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(30), 10, lease, None));
        Assert.Empty(await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(30).AddSeconds(59), 10, lease, None));
        // Claimed wakeups are next claimable when their lease ends.
        Assert.Equal(T0.AddMinutes(31), await NextDueAsync());

        // The lease ran out and nobody handled c-1 or c-2: both are claimable again.
        Assert.Equal(["c-1", "c-2"], await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(32), 10, lease, None));

        // Handling c-1 replaces its wakeups, which ends its claim.
        await SaveAsync(Decision(c1, wakeups: [new Wakeup("c-1", "i-active", T0.AddMinutes(40))]));
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM wakeups WHERE customer_id = 'c-1' OR customer_id = 'c-3'"));
        Assert.Equal(["c-2", "c-1"], await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(40), 10, lease, None));
        await SaveAsync(Decision(c1));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM wakeups WHERE customer_id = 'c-1'"));
    }

    [SkippableFact]
    public async Task Sends_are_queued_claimed_once_and_marked_sent_once()
    {
        var first = Email("c-1", "k-1", T0);
        var second = Email("c-1", "k-2", T0) with { Variant = null, From = null, Preheader = null, Text = null, OutcomeIndex = 1 };
        await SaveAsync(Decision(RichState("c-1"), [Outcome("c-1", "i-active", T0, OutcomeKind.Entered), Outcome("c-1", "i-active", T0, OutcomeKind.Waiting)], [first, second]));

        var claimed = await ClaimEmailsAsync("worker-1", T0, 10, None);
        Assert.Equal([first, second], claimed);
        Assert.Empty(await ClaimEmailsAsync("worker-2", T0.AddHours(1), 10, None));
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM sends WHERE status = 'sending' AND claimed_by = 'worker-1'"));

        await Storage.Outbox.MarkSentAsync(first, T0.AddMinutes(1), None);
        await Storage.Outbox.MarkSentAsync(first, T0.AddMinutes(2), None);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM sends WHERE status = 'sent'"));

        var outcomes = await Storage.Outcomes.ReadOutcomesAsync(None);
        // The sent outcome takes the place the engine gave the send: before the outcome at its OutcomeIndex.
        Assert.Equal([OutcomeKind.Sent, OutcomeKind.Entered, OutcomeKind.Waiting], outcomes.Select(o => o.Kind));
        Assert.Equal(Describe(first.SentOutcome()), Describe(outcomes[0]));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM outcomes WHERE send_key = 'k-1' AND kind = 'sent'"));

        await Storage.Outbox.MarkSentAsync(second, T0.AddMinutes(3), None);
        Assert.Equal([OutcomeKind.Sent, OutcomeKind.Entered, OutcomeKind.Sent, OutcomeKind.Waiting], (await Storage.Outcomes.ReadOutcomesAsync(None)).Select(o => o.Kind));
    }

    [SkippableFact]
    public async Task A_send_decided_twice_is_queued_once()
    {
        var email = Email("c-1", "k-1", T0);
        var state = RichState("c-1");
        await SaveAsync(Decision(state, sends: [email]));
        await SaveAsync(Decision(state, sends: [email]));
        Assert.Single(await ClaimEmailsAsync("w", T0, 10, None));
    }

    [SkippableFact]
    public async Task Claim_takes_at_most_max_oldest_first()
    {
        await SaveAsync(Decision(RichState("c-1"), sends: [Email("c-1", "k-1", T0), Email("c-1", "k-2", T0), Email("c-1", "k-3", T0)]));
        Assert.Equal(2, (await ClaimEmailsAsync("w", T0, 2, None)).Count);
        Assert.Single(await ClaimEmailsAsync("w", T0, 2, None));
    }

    [SkippableFact]
    public async Task RetryLater_queues_the_send_again_at_the_retry_time()
    {
        var email = Email("c-1", "k-1", T0);
        await SaveAsync(Decision(RichState("c-1"), sends: [email]));
        Assert.Single(await ClaimEmailsAsync("w", T0, 10, None));

        await Storage.Outbox.RetryLaterAsync(email, "421 try again later", T0.AddMinutes(5), attempted: true, None);
        Assert.Empty(await ClaimEmailsAsync("w", T0.AddMinutes(4), 10, None));
        Assert.Equal([email], await ClaimEmailsAsync("w", T0.AddMinutes(5), 10, None));
        Assert.Equal(1, await CountAsync("SELECT attempts FROM sends WHERE send_key = 'k-1'"));
        Assert.Equal("421 try again later", await ScalarAsync<string>("SELECT last_error FROM sends WHERE send_key = 'k-1'"));

        await Storage.Outbox.RetryLaterAsync(email, "421 again", T0.AddMinutes(10), attempted: true, None);
        Assert.Equal(2, await CountAsync("SELECT attempts FROM sends WHERE send_key = 'k-1'"));
        Assert.Empty(await Storage.Outcomes.ReadOutcomesAsync(None));
    }

    [SkippableFact]
    public async Task MarkFailed_records_a_failed_outcome_with_the_reason()
    {
        var email = Email("c-1", "k-1", T0);
        await SaveAsync(Decision(RichState("c-1"), sends: [email]));
        Assert.Single(await ClaimEmailsAsync("w", T0, 10, None));

        await Storage.Outbox.MarkFailedAsync(email, "550 no such user", T0.AddMinutes(1), None);
        await Storage.Outbox.MarkFailedAsync(email, "550 no such user", T0.AddMinutes(1), None);

        var failed = Assert.Single(await Storage.Outcomes.ReadOutcomesAsync(None));
        Assert.Equal(OutcomeKind.Failed, failed.Kind);
        Assert.Equal(new Dictionary<string, object?> { ["subject"] = email.Subject, ["to"] = email.To, ["reason"] = "550 no such user" }, failed.Detail);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM sends WHERE status = 'failed'"));
        Assert.Empty(await ClaimEmailsAsync("w", T0.AddDays(1), 10, None));
    }

    [SkippableFact]
    public async Task MarkAbandoned_reports_sends_left_sending_as_unknown_and_does_not_resend_them()
    {
        await SaveAsync(Decision(RichState("c-1"), sends: [Email("c-1", "k-1", T0)]));
        await SaveAsync(Decision(RichState("c-2"), sends: [Email("c-2", "k-2", T0)]));
        await SaveAsync(Decision(RichState("c-3"), sends: [Email("c-3", "k-3", T0)]));
        await SaveAsync(Decision(RichState("c-4"), sends: [Email("c-4", "k-4", T0)]));
        var mine = Assert.Single(await ClaimEmailsAsync("me", T0, 1, None));
        var stale = Assert.Single(await ClaimEmailsAsync("crashed", T0.AddMinutes(1), 1, None));
        var busy = Assert.Single(await ClaimEmailsAsync("busy", T0.AddMinutes(30), 1, None));
        var delivered = Assert.Single(await ClaimEmailsAsync("me", T0.AddMinutes(30), 1, None));
        await Storage.Outbox.MarkSentAsync(delivered, T0.AddMinutes(31), None);

        Assert.Equal(2, await Storage.Outbox.MarkAbandonedAsync("me", T0.AddMinutes(10), T0.AddMinutes(40), None));
        Assert.Equal(0, await Storage.Outbox.MarkAbandonedAsync("me", T0.AddMinutes(10), T0.AddMinutes(41), None));

        var unknown = (await Storage.Outcomes.ReadOutcomesAsync(None)).Where(o => o.Kind == OutcomeKind.Unknown).ToList();
        Assert.Equal([mine.CustomerId, stale.CustomerId], unknown.Select(o => o.CustomerId).Order());
        Assert.Equal(
            new Dictionary<string, object?> { ["subject"] = mine.Subject, ["to"] = mine.To, ["reason"] = "worker stopped while sending; not resent" },
            unknown[0].Detail);
        Assert.Equal(1, await CountAsync($"SELECT COUNT(*) FROM sends WHERE status = 'sending' AND send_key = '{busy.SendKey}'"));
        Assert.Empty(await ClaimEmailsAsync("w", T0.AddDays(1), 10, None));

        // A late "try again" from the worker that held it does not resend what was reported unknown.
        await Storage.Outbox.RetryLaterAsync(mine, "421 later", T0.AddMinutes(42), attempted: true, None);
        Assert.Empty(await ClaimEmailsAsync("w", T0.AddDays(1), 10, None));
    }

    [SkippableFact]
    public async Task A_sweep_without_a_worker_id_reports_only_sends_older_than_the_limit()
    {
        await SaveAsync(Decision(RichState("c-1"), sends: [Email("c-1", "k-1", T0)]));
        await SaveAsync(Decision(RichState("c-2"), sends: [Email("c-2", "k-2", T0)]));
        var crashed = Assert.Single(await ClaimEmailsAsync("crashed", T0, 1, None));
        var live = Assert.Single(await ClaimEmailsAsync("me", T0.AddMinutes(30), 1, None));

        Assert.Equal(1, await Storage.Outbox.MarkAbandonedAsync(null, T0.AddMinutes(10), T0.AddMinutes(35), None));

        var unknown = Assert.Single(await Storage.Outcomes.ReadOutcomesAsync(None), o => o.Kind == OutcomeKind.Unknown);
        Assert.Equal(crashed.CustomerId, unknown.CustomerId);
        Assert.Equal(1, await CountAsync($"SELECT COUNT(*) FROM sends WHERE status = 'sending' AND send_key = '{live.SendKey}'"));
    }

    [SkippableFact]
    public async Task A_bounced_address_is_suppressed()
    {
        await SaveAsync(Decision(RichState("c-1")));
        await SaveAsync(Decision((await LoadAsync("c-1"))!));
        Assert.Equal("c-1", await ScalarAsync<string>("SELECT customer_id FROM suppressions WHERE address = 'old.address@example.nl'"));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM suppressions"));
    }

    [SkippableFact]
    public async Task Saving_a_stale_revision_is_a_conflict()
    {
        await SaveAsync(Decision(CustomerState.New("c-1")));
        var loaded = (await LoadAsync("c-1"))!;
        var stale = loaded.Clone();
        await SaveAsync(Decision(loaded));
        Assert.Equal(2, loaded.Revision);

        // Decided on revision 1 while revision 2 was saved: refused, and nothing of it is kept.
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
        {
            stale.Unsubscribed = true;
            var conflict = await Assert.ThrowsAsync<DBConcurrencyException>(() => unit.SaveAsync(Decision(stale), None));
            Assert.Contains("revision 1", conflict.Message, StringComparison.Ordinal);
            Assert.Contains("revision 2", conflict.Message, StringComparison.Ordinal);
        }
        // A "new customer" decision for a customer that exists by now is a conflict too.
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
            await Assert.ThrowsAsync<DBConcurrencyException>(() => unit.SaveAsync(Decision(CustomerState.New("c-1")), None));

        var current = (await LoadAsync("c-1"))!;
        Assert.Equal(2, current.Revision);
        Assert.False(current.Unsubscribed);
    }

    [SkippableFact]
    public async Task Units_of_one_customer_run_one_at_a_time()
    {
        var first = await Storage.Store.BeginAsync("c-1", None);
        Assert.Null(await first.LoadCustomerAsync(None));
        var second = Task.Run(async () =>
        {
            var unit = await Storage.Store.BeginAsync("c-1", None);
            return (unit, await unit.LoadCustomerAsync(None));
        });
        await Task.Delay(300);
        Assert.False(second.IsCompleted, "a second unit of the same customer started while the first was open");

        await first.SaveAsync(Decision(CustomerState.New("c-1")), None);
        await first.CommitAsync(None);
        await first.DisposeAsync();

        var (unit, seen) = await second.WaitAsync(TimeSpan.FromSeconds(20));
        await using (unit)
        {
            // The second unit waited, so it sees the first one's commit.
            Assert.Equal(1, seen!.Revision);
            await unit.SaveAsync(Decision(seen), None);
            await unit.CommitAsync(None);
        }
        Assert.Equal(2, (await LoadAsync("c-1"))!.Revision);
    }

    [SkippableFact]
    public async Task Sample_events_through_the_engine_give_the_simulator_outcomes_and_states()
    {
        var catalog = EngineReplay.LoadJourneys();
        var events = EngineReplay.LoadSampleEvents();
        var simulated = await Simulator.RunAsync(catalog, events, EngineReplay.Sending);
        Assert.Contains(simulated.Outcomes, o => o.Kind == OutcomeKind.Sent);

        var duplicates = await EngineReplay.RunAsync(Storage, catalog, events);

        var stored = await Storage.Outcomes.ReadOutcomesAsync(None);
        Assert.Equal(simulated.DuplicateEvents, duplicates);
        Assert.Equal(simulated.Outcomes.Select(Describe), stored.Select(Describe));

        // The states match the in-memory store's after the same replay.
        using var memory = new InMemoryJourneyStore();
        var clock = new VirtualClock(events.Min(e => e.OccurredAt));
        var processor = new Orchestrator.Core.Processing.EventProcessor(new JourneyEngine(EngineReplay.Sending, clock), memory, () => catalog);
        foreach (var evt in events.OrderBy(e => e.OccurredAt.UtcTicks))
        {
            clock.MoveTo(evt.OccurredAt);
            await processor.ProcessEventAsync(evt, None);
        }
        clock.MoveTo(events.Max(e => e.OccurredAt) + Simulator.DefaultHorizon);
        foreach (var customer in memory.Customers.Where(c => c.NextWakeup <= clock.GetUtcNow()).Select(c => c.CustomerId).ToList())
            await processor.ProcessDueAsync(customer, None);
        foreach (var expected in memory.Customers)
            Assert.Equal(Describe(expected), Describe((await LoadAsync(expected.CustomerId))!));
    }

    [SkippableFact]
    public async Task A_permanent_bounce_suppresses_the_address_for_every_customer_whatever_its_case()
    {
        var bounced = CustomerState.New("c-1");
        bounced.BouncedAddress = " Old@Example.com ";
        await SaveAsync(Decision(bounced));

        await using var unit = await Storage.Store.BeginAsync("c-2", None);
        var suppressed = await unit.SuppressedAmongAsync(AddressSuppression.Candidates("OLD@example.COM", "new@example.com"), None);

        Assert.Equal(["old@example.com"], suppressed.Keys);
        Assert.Equal("bounced", suppressed["old@example.com"]);
        Assert.Empty(await unit.SuppressedAmongAsync([], None));
    }

    [SkippableFact]
    public async Task An_address_the_mail_server_does_not_know_is_suppressed_for_every_customer()
    {
        await Storage.Outbox.SuppressAddressAsync(TestData.Email("c-1", "k-1", T0) with { To = "Gone@Example.com" }, "550 5.1.1 user unknown", T0, None);
        await Storage.Outbox.SuppressAddressAsync(TestData.Email("c-1", "k-2", T0) with { To = "gone@example.com" }, "550 5.1.1 user unknown", T0, None);

        await using var unit = await Storage.Store.BeginAsync("c-2", None);
        Assert.Equal(["gone@example.com"], (await unit.SuppressedAmongAsync(["gone@example.com", "other@example.com"], None)).Keys);
    }

    [SkippableFact]
    public async Task An_unsubscribe_suppresses_the_address_for_every_customer_until_a_resubscribe_lifts_it_but_not_a_bounce()
    {
        var unsubscribed = CustomerState.New("c-1");
        unsubscribed.SubscriptionChange = new AddressSubscription("ann@example.com", Unsubscribed: true);
        await SaveAsync(Decision(unsubscribed));
        var bounced = CustomerState.New("c-3");
        bounced.BouncedAddress = "bob@example.com";
        await SaveAsync(Decision(bounced));

        async Task<IReadOnlyDictionary<string, string>> Suppressed()
        {
            await using var unit = await Storage.Store.BeginAsync("c-2", None);
            return await unit.SuppressedAmongAsync(["ann@example.com", "bob@example.com"], None);
        }
        Assert.Equal("unsubscribed", (await Suppressed())["ann@example.com"]);

        var resubscribed = (await LoadAsync("c-1"))!;
        resubscribed.SubscriptionChange = new AddressSubscription("ann@example.com", Unsubscribed: false);
        await SaveAsync(Decision(resubscribed));
        var bobResubscribes = (await LoadAsync("c-3"))!;
        bobResubscribes.SubscriptionChange = new AddressSubscription("bob@example.com", Unsubscribed: false);
        await SaveAsync(Decision(bobResubscribes));

        Assert.Equal(["bob@example.com"], (await Suppressed()).Keys);
    }

    protected async Task SaveAsync(Decision decision)
    {
        await using var unit = await Storage.Store.BeginAsync(decision.State.CustomerId, None);
        await unit.SaveAsync(decision, None);
        await unit.CommitAsync(None);
    }

    protected async Task<CustomerState?> LoadAsync(string customerId)
    {
        await using var unit = await Storage.Store.BeginAsync(customerId, None);
        return await unit.LoadCustomerAsync(None);
    }

    /// <summary>A look at the rows; the test SQL is plain enough for every provider.</summary>
    protected async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = await Storage.Dialect.OpenAsync(None);
        return await connection.ExecuteScalarAsync<T>(sql);
    }

    protected async Task<long> CountAsync(string sql) => await ScalarAsync<long>(sql);

    /// <summary>The claimed emails without their attempt counts, for the tests about what is claimed (Attempts has its own).</summary>
    protected async Task<IReadOnlyList<EmailToSend>> ClaimEmailsAsync(string workerId, DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        [.. (await Storage.Outbox.ClaimAsync(workerId, now, max, cancellationToken)).Select(c => c.Email)];

    /// <summary>The earliest moment a wakeup can be claimed: its due time, or the end of its lease while it is claimed.</summary>
    private async Task<DateTimeOffset?> NextDueAsync() =>
        Relational.StoredTime.ReadNullable(await ScalarAsync<object?>("SELECT MIN(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) FROM wakeups;"));
}
