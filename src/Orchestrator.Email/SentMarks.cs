using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email;

/// <summary>
/// Marks sends the mail server accepted as <c>sent</c>, as soon as the database's writer lets it, every mark waiting
/// by then in one transaction: one commit and one writer turn for many hand-offs, a writer that timers' batches share
/// (issue 11's group commit for send results; measured, it did not change the outbox's rate, whose limit was the claim,
/// see docs/benchmarks.md "Sends"). Marks are written as they come, not at the end of a claimed batch: an accepted send
/// left 'sending' is reported 'unknown' after a crash, and the window for that stays one write long. The leader pattern
/// is GroupCommit's, for sends; the two are not shared yet (GroupCommit slices results per caller and caps a batch).
/// </summary>
internal sealed class SentMarks(IOutbox outbox, TimeProvider time)
{
    private readonly Lock _gate = new();
    private List<(EmailToSend Email, TaskCompletionSource Done)> _waiting = [];
    private bool _writing;

    /// <summary>Completes once <paramref name="email"/> is recorded sent; faults with the database's error if the
    /// transaction it was in failed (the caller then records it alone, with retries).</summary>
    public Task MarkAsync(EmailToSend email)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool lead;
        lock (_gate)
        {
            _waiting.Add((email, done));
            lead = !_writing;
            _writing = true;
        }
        if (lead)
            _ = Task.Run(WriteWaitingAsync);
        return done.Task;
    }

    private async Task WriteWaitingAsync()
    {
        while (true)
        {
            List<(EmailToSend Email, TaskCompletionSource Done)> marks;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }
                (marks, _waiting) = (_waiting, []);
            }
            try
            {
                await outbox.MarkSentAsync([.. marks.Select(m => m.Email)], time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                foreach (var mark in marks)
                    mark.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                foreach (var mark in marks)
                    mark.Done.TrySetException(ex);
            }
        }
    }
}
