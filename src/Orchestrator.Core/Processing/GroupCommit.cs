namespace Orchestrator.Core.Processing;

/// <summary>
/// Decides work that arrives at the same time from different callers (AMQP partitions, HTTP requests, the timer job)
/// in one database transaction, so that many decisions share one commit (on SQLite: one fsync) instead of one each.
/// <para>
/// The first caller to find nothing running leads: it takes every submission waiting (whole, up to
/// <see cref="MaxItems"/> pieces, at least one) and decides them in arrival order through
/// <see cref="EventProcessor.ProcessBatchAsync"/>. Submissions that arrive meanwhile wait and form the next batch, which
/// a new leader takes as soon as this one is committed; the caller who led gets its answer at once. Nothing is ever
/// held back to wait for company: a lone event is committed as soon as the writer is free, and batches grow only while
/// the database is busy, which is when they help.
/// </para>
/// <para>
/// Order: a caller's submission is decided in its order, and a caller that waits for its answer before submitting
/// again (a partition, an HTTP array) is decided in the order it submitted. Submissions of different callers have no
/// order between them, as units of work running side by side never had.
/// </para>
/// </summary>
/// <remarks>Once a batch that queued sends is committed it wakes the sender (<see cref="OutboxSignal"/>): one place for
/// every way work comes in. Before a batch is decided the worker's intake hold is in the database where it began holding
/// (<see cref="SharedIntakeHold.CoverAsync"/>), so other workers never run timers the batch creates ahead of its intake.</remarks>
public sealed class GroupCommit(EventProcessor processor, OutboxSignal? outbox = null, int maxItems = GroupCommit.DefaultMaxItems, SharedIntakeHold? holds = null)
{
    /// <summary>
    /// Large enough that a backlog is decided in few commits, small enough that one transaction (its locks on SQL Server,
    /// the WAL on SQLite) stays short: about 100 ms of work at the engine's speed on the 2-core test machine.
    /// </summary>
    public const int DefaultMaxItems = 256;

    private readonly object _lock = new();
    private readonly Queue<Submission> _waiting = new();
    private bool _leading;

    public int MaxItems { get; } = maxItems > 0 ? maxItems : throw new ArgumentOutOfRangeException(nameof(maxItems), maxItems, "at least 1");

    /// <summary>
    /// Decides <paramref name="work"/> (in order, possibly together with other callers' work) and returns one result per
    /// piece once they are committed. The work is not cancelled once taken: a batch is short, and cancelling other
    /// callers' work because one caller left would answer them "failed" for nothing.
    /// </summary>
    public Task<IReadOnlyList<WorkResult>> SubmitAsync(IReadOnlyList<Work> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (work.Count == 0)
            return Task.FromResult<IReadOnlyList<WorkResult>>([]);
        var submission = new Submission(work);
        bool lead;
        lock (_lock)
        {
            _waiting.Enqueue(submission);
            lead = !_leading;
            _leading = true;
        }
        if (lead)
            _ = LeadAsync();
        return submission.Answer.Task;
    }

    private async Task LeadAsync()
    {
        List<Submission> taken = [];
        lock (_lock)
        {
            var count = 0;
            while (_waiting.TryPeek(out var next) && (taken.Count == 0 || count + next.Work.Count <= MaxItems))
            {
                taken.Add(_waiting.Dequeue());
                count += next.Work.Count;
            }
        }
        try
        {
            var work = taken.Count == 1 ? taken[0].Work : taken.SelectMany(s => s.Work).ToList();
            var results = await CoveredAsync().ConfigureAwait(false) is { } unavailable
                ? work.Select(_ => new WorkResult(null, unavailable)).ToList()
                : await processor.ProcessBatchAsync(work, CancellationToken.None).ConfigureAwait(false);
            if (results.Any(r => r.Decision?.Sends.Count > 0))
                outbox?.Notify();
            var offset = 0;
            foreach (var submission in taken)
            {
                submission.Answer.TrySetResult(results.Skip(offset).Take(submission.Work.Count).ToList());
                offset += submission.Work.Count;
            }
        }
        catch (Exception ex)
        {
            // ProcessBatchAsync puts failures in the results; this is a defect, and every caller hears of it.
            foreach (var submission in taken)
                submission.Answer.TrySetException(ex);
        }
        finally
        {
            bool more;
            lock (_lock)
            {
                more = _waiting.Count > 0;
                _leading = more;
            }
            // A new leader on the thread pool, so that the callers answered above are not kept waiting by the next batch.
            if (more)
                _ = Task.Run(LeadAsync);
        }
    }

    /// <summary>Null once the hold is said; else the database's failure, which every piece of the batch gets (each is
    /// taken again, as when the batch itself could not be recorded).</summary>
    private async Task<Ports.StoreUnavailableException?> CoveredAsync()
    {
        if (holds is null)
            return null;
        try
        {
            await holds.CoverAsync(CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Ports.StoreUnavailableException ex)
        {
            return ex;
        }
    }

    private sealed class Submission(IReadOnlyList<Work> work)
    {
        public IReadOnlyList<Work> Work { get; } = work;

        // Continuations run on the thread pool, not inline in the leader, which goes on to the next batch.
        public TaskCompletionSource<IReadOnlyList<WorkResult>> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
