using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>What the outbox keeps and does so the dispatcher can judge the send window and cap again at hand-off.</summary>
public abstract partial class JourneyStoreContract
{
    private static readonly SendWindow MonWedSat = new(
        new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Saturday }, new TimeOnly(8, 30), new TimeOnly(20, 15));

    [SkippableFact]
    public async Task A_sends_window_and_zone_are_stored_and_claimed_with_it_and_a_send_without_one_reads_back_without()
    {
        var windowed = Email("c-1", "k-1", T0) with { SendWindow = MonWedSat, TimeZone = "Europe/Amsterdam" };
        var plain = Email("c-1", "k-2", T0);
        await SaveAsync(Decision(RichState("c-1"), sends: [windowed, plain]));

        var claimed = await ClaimEmailsAsync("w", T0, 10, None);

        var first = claimed.Single(e => e.SendKey == "k-1");
        Assert.Equal("Europe/Amsterdam", first.TimeZone);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Saturday], first.SendWindow!.Days.Order());
        Assert.Equal((new TimeOnly(8, 30), new TimeOnly(20, 15)), (first.SendWindow.From, first.SendWindow.To));
        Assert.Equal(plain, claimed.Single(e => e.SendKey == "k-2"));
        // Stored readably: bits 1, 3 and 6 (Monday, Wednesday, Saturday), times as journeys write them.
        Assert.Equal(2 + 8 + 64, await CountAsync("SELECT window_days FROM sends WHERE send_key = 'k-1'"));
        Assert.Equal("08:30-20:15", await ScalarAsync<string>("SELECT window_from FROM sends WHERE send_key = 'k-1'") + "-" + await ScalarAsync<string>("SELECT window_to FROM sends WHERE send_key = 'k-1'"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM sends WHERE send_key = 'k-2' AND (window_days IS NOT NULL OR window_from IS NOT NULL OR window_to IS NOT NULL OR time_zone IS NOT NULL)"));
    }

    [SkippableFact]
    public async Task A_send_deferred_at_hand_off_is_queued_again_for_the_new_due_time_without_an_attempt()
    {
        var email = Email("c-1", "k-1", T0);
        await SaveAsync(Decision(RichState("c-1"), sends: [email]));
        Assert.Single(await ClaimEmailsAsync("w", T0, 10, None));

        var opening = T0.AddHours(10);
        await Storage.Outbox.DeferAsync(email, new SendDeferral(SendRules.SendWindowReason, opening, "Europe/Amsterdam"), T0.AddMinutes(1), None);
        // Only a send being sent is deferred: a repeat finds it queued and changes nothing.
        await Storage.Outbox.DeferAsync(email, new SendDeferral(SendRules.SendWindowReason, opening, "Europe/Amsterdam"), T0.AddMinutes(1), None);

        Assert.Empty(await ClaimEmailsAsync("w", opening.AddTicks(-1), 10, None));
        Assert.Equal(0, await CountAsync("SELECT attempts FROM sends WHERE send_key = 'k-1'"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM sends WHERE send_key = 'k-1' AND (claimed_by IS NOT NULL OR claimed_at IS NOT NULL)"));
        Assert.Equal([email], await ClaimEmailsAsync("w", opening, 10, None));

        // Held a second time, now by the cap: a second deferred outcome, then it goes out.
        await Storage.Outbox.DeferAsync(email, new SendDeferral(SendRules.FrequencyCapReason, opening.AddHours(2), null), opening, None);
        Assert.Equal([email], await ClaimEmailsAsync("w", opening.AddHours(2), 10, None));
        await Storage.Outbox.MarkSentAsync(email, opening.AddHours(2), None);

        var outcomes = await Storage.Outcomes.ReadOutcomesAsync(None);
        Assert.Equal([OutcomeKind.Sent, OutcomeKind.Deferred, OutcomeKind.Deferred], outcomes.Select(o => o.Kind));
        Assert.Equal([T0.AddMinutes(1), opening], outcomes.Where(o => o.Kind == OutcomeKind.Deferred).Select(o => o.At));
        Assert.Equal(
            new Dictionary<string, object?> { ["reason"] = "send-window", ["until"] = "2026-03-02T18:00:00Z", ["zone"] = "Europe/Amsterdam", ["at"] = "hand-off" },
            outcomes[1].Detail);
        Assert.Equal(
            new Dictionary<string, object?> { ["reason"] = "frequency-cap", ["until"] = "2026-03-02T20:00:00Z", ["at"] = "hand-off" },
            outcomes[2].Detail);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM sends WHERE status = 'sent'"));
    }

    [SkippableFact]
    public async Task Hand_offs_are_a_customers_sent_in_flight_and_unknown_sends_by_the_time_they_were_claimed()
    {
        await SaveAsync(Decision(RichState("c-1"), sends: [Email("c-1", "k-1", T0), Email("c-1", "k-2", T0), Email("c-1", "k-3", T0), Email("c-1", "k-4", T0), Email("c-1", "k-5", T0)]));
        await SaveAsync(Decision(RichState("c-2"), sends: [Email("c-2", "k-6", T0)]));
        var sent = Assert.Single(await ClaimEmailsAsync("w", T0, 1, None));
        await Storage.Outbox.MarkSentAsync(sent, T0.AddSeconds(2), None);
        Assert.Single(await ClaimEmailsAsync("w", T0.AddHours(1), 1, None)); // k-2: still being sent
        var failed = Assert.Single(await ClaimEmailsAsync("w", T0.AddHours(2), 1, None));
        await Storage.Outbox.MarkFailedAsync(failed, "550 no", T0.AddHours(2), None);
        var retried = Assert.Single(await ClaimEmailsAsync("w", T0.AddHours(3), 1, None));
        await Storage.Outbox.RetryLaterAsync(retried, "421 later", T0.AddDays(2), attempted: true, None);
        Assert.Single(await ClaimEmailsAsync("crashed", T0.AddHours(4), 1, None)); // k-5, reported unknown below
        Assert.Equal(1, await Storage.Outbox.MarkAbandonedAsync("crashed", T0, T0.AddHours(5), None));
        var other = Assert.Single(await ClaimEmailsAsync("w", T0.AddHours(5), 1, None));
        Assert.Equal("c-2", other.CustomerId);
        await Storage.Outbox.MarkSentAsync(other, T0.AddHours(5), None);

        Assert.Equal([new HandOff("k-1", T0), new HandOff("k-2", T0.AddHours(1)), new HandOff("k-5", T0.AddHours(4))],
            (await Storage.Outbox.HandOffsAsync("c-1", T0.AddTicks(-1), None)).OrderBy(h => h.At));
        // Strictly after: a hand-off a whole cap period ago no longer counts.
        Assert.Equal(["k-2", "k-5"], (await Storage.Outbox.HandOffsAsync("c-1", T0, None)).Select(h => h.SendKey).Order());
    }
}
