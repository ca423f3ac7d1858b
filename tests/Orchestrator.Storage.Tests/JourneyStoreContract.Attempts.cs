using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>
/// Send attempts are counted in the outbox and handed out with each claim, so the dispatcher's retry limit holds across
/// restarts and workers: a fresh dispatcher continues the count it finds stored.
/// </summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task A_claim_carries_the_stored_attempts_which_only_a_tried_send_increases()
    {
        var email = Email("c-1", "k-1", T0);
        await SaveAsync(Decision(RichState("c-1"), sends: [email]));

        Assert.Equal([new ClaimedSend(email, 0)], await Storage.Outbox.ClaimAsync("w", T0, 10, None));
        await Storage.Outbox.RetryLaterAsync(email, "421 busy", T0.AddMinutes(1), attempted: true, None);
        Assert.Equal([new ClaimedSend(email, 1)], await Storage.Outbox.ClaimAsync("w", T0.AddMinutes(1), 10, None));

        // Put back without trying the mail server (the check before the hand-off failed): no attempt was spent.
        await Storage.Outbox.RetryLaterAsync(email, "hand-off check failed", T0.AddMinutes(2), attempted: false, None);
        Assert.Equal([new ClaimedSend(email, 1)], await Storage.Outbox.ClaimAsync("w", T0.AddMinutes(2), 10, None));

        // Nor does a deferral at hand-off.
        await Storage.Outbox.DeferAsync(email, new SendDeferral(SendRules.SendWindowReason, T0.AddMinutes(3), null), T0.AddMinutes(2), None);
        Assert.Equal([new ClaimedSend(email, 1)], await Storage.Outbox.ClaimAsync("w", T0.AddMinutes(3), 10, None));

        await Storage.Outbox.RetryLaterAsync(email, "421 busy again", T0.AddMinutes(4), attempted: true, None);
        Assert.Equal([new ClaimedSend(email, 2)], await Storage.Outbox.ClaimAsync("other-worker", T0.AddMinutes(4), 10, None));
        Assert.Equal(2, await CountAsync("SELECT attempts FROM sends WHERE send_key = 'k-1'"));
    }

    [SkippableFact]
    public async Task Each_send_of_a_batch_carries_its_own_attempts()
    {
        var tried = Email("c-1", "k-1", T0);
        var fresh = Email("c-2", "k-2", T0);
        await SaveAsync(Decision(RichState("c-1"), sends: [tried]));
        await SaveAsync(Decision(RichState("c-2"), sends: [fresh]));
        Assert.Single(await Storage.Outbox.ClaimAsync("w", T0, 1, None));
        await Storage.Outbox.RetryLaterAsync(tried, "421 busy", T0, attempted: true, None);

        var batch = await Storage.Outbox.ClaimAsync("w", T0, 10, None);

        Assert.Equal([("k-1", 1), ("k-2", 0)], batch.Select(c => (c.Email.SendKey, c.Attempts)).Order());
    }
}
