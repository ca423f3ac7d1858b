using Orchestrator.Core.Engine;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>Send bodies are kept until the hand-off and a retention after it, not forever.</summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task Bodies_of_sends_sent_or_failed_before_the_retention_are_emptied_in_batches_and_nothing_else_is()
    {
        var sentLongAgo = Email("c-1", "k-sent-old", T0);
        var failedLongAgo = Email("c-1", "k-failed-old", T0, outcomeIndex: 1);
        var sentRecently = Email("c-1", "k-sent-new", T0, outcomeIndex: 2);
        var queued = Email("c-1", "k-queued", T0.AddDays(30), outcomeIndex: 3);
        await SaveAsync(Decision(RichState("c-1"), [Outcome("c-1", "i-active", T0, OutcomeKind.Entered)], [sentLongAgo, failedLongAgo, sentRecently, queued]));
        Assert.Equal(4, (await ClaimEmailsAsync("w", T0, 10, None)).Count);
        await Storage.Outbox.RetryLaterAsync(queued, "451 try again later", T0.AddDays(30), attempted: true, None);
        await Storage.Outbox.MarkSentAsync(sentLongAgo, T0.AddMinutes(1), None);
        await Storage.Outbox.MarkFailedAsync(failedLongAgo, "550 no such user", T0.AddMinutes(1), None);
        await Storage.Outbox.MarkSentAsync(sentRecently, T0.AddDays(9), None);

        // Retention 7 days, at day 10: the two handed off on day 0 lose their bodies, one statement of one row at a time.
        Assert.Equal(2, await Storage.PruneSendBodiesAsync(T0.AddDays(3), batchSize: 1, None));
        Assert.Equal(0, await Storage.PruneSendBodiesAsync(T0.AddDays(3), batchSize: 1, None));

        Assert.Equal(["k-failed-old", "k-sent-old"], await Keys("SELECT send_key FROM sends WHERE html_body = '' AND text_body IS NULL ORDER BY send_key"));
        Assert.Equal(["k-queued", "k-sent-new"], await Keys($"SELECT send_key FROM sends WHERE html_body = '{sentRecently.Html}' ORDER BY send_key"));
        // The outcomes keep what the marketer and the analysis read: subject and recipient.
        var outcomes = await Storage.Outcomes.ReadOutcomesAsync(None);
        Assert.Contains(outcomes, o => o.Kind == OutcomeKind.Sent && Equals(o.Detail?["subject"], sentLongAgo.Subject) && Equals(o.Detail?["to"], sentLongAgo.To));
        Assert.Contains(outcomes, o => o.Kind == OutcomeKind.Failed && Equals(o.Detail?["subject"], failedLongAgo.Subject) && Equals(o.Detail?["to"], failedLongAgo.To));
        // The queued send still goes out whole.
        var claimed = Assert.Single(await ClaimEmailsAsync("w", T0.AddDays(31), 10, None));
        Assert.Equal((queued.SendKey, queued.Html, queued.Text), (claimed.SendKey, claimed.Html, claimed.Text));
    }

    private async Task<List<string>> Keys(string sql)
    {
        await using var connection = await Storage.Dialect.OpenAsync(None);
        return (await Dapper.SqlMapper.QueryAsync<string>(connection, sql)).ToList();
    }
}
