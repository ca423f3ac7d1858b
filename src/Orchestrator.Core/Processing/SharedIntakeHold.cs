using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Processing;

/// <summary>
/// <see cref="IntakeProgress"/> across workers. A partition is consumed by one worker at a time (single active
/// consumer), but every worker's scheduler claims due wakeups from the shared store; with the hold kept per process, a
/// standby (its queues quiet, taken by the other) ran every due timer while the active worker worked off a backlog, ahead
/// of the customers' older events still queued (the fault harness: 12 sends lost, 26 nobody predicted). So each worker
/// says its hold in the database (<see cref="PublishAsync"/>, called every <see cref="PublishEvery"/>), and timers run
/// only up to the earliest hold of any worker (<see cref="CaughtUpToAsync"/>). Where the hold begins, the row is
/// written before the worker commits a decision (<see cref="CoverAsync"/>).
/// </summary>
/// <remarks>
/// A worker writes only while it holds: a row when it starts holding, again when the hold moves (at most every
/// <see cref="PublishEvery"/>) or every <see cref="RenewEvery"/>, and the row goes when the hold lifts: a worker whose
/// partitions are quiet writes nothing, one under steady traffic (its hold trailing the clock by the publish-to-consume
/// delay) a row every <see cref="PublishEvery"/>. A row not renewed for <see cref="FreshFor"/> belongs to a worker that
/// died or stopped; it is ignored, then dropped. A worker that stops keeps its last row until then: its queues pass to another worker, which
/// holds by itself once they deliver, and the row covers the moment in between. Rows carry the writing worker's clock,
/// so the workers' clocks must agree to well within <see cref="FreshFor"/> (timers already rely on one time).
/// </remarks>
public sealed class SharedIntakeHold(IntakeProgress local, IIntakeHoldStore store, TimeProvider time, string? workerId = null) : IDisposable
{
    /// <summary>How often a holding worker looks whether its hold moved. Another worker's timers can run up to this much
    /// (plus one write) past a hold that just began; the hold's own worker is never late, it reads its own at once.</summary>
    public static readonly TimeSpan PublishEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>How often an unchanged hold is written again, so that it stays fresh.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(2);

    /// <summary>A hold not renewed for this long is a worker gone. Long enough for a database that is locked or slow for a
    /// while (the fault harness locks it for 10 s, the soak for 30 s; the worker cannot renew meanwhile, but the other
    /// can still read), short enough that timers wait only so long behind a worker that died holding.</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(30);

    // What this worker's row says: NotWritten, or the hold's UtcTicks. Read without the lock by CoverAsync's fast path.
    // NotWritten also while a write or a release is under way, so that CoverAsync waits for it instead of trusting a row
    // that is about to change.
    private const long NotWritten = -1;
    private long _written = NotWritten;
    private long _writtenAtTicks;
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>This worker's row; new at every start, so a restarted worker never reads its old self.</summary>
    public string WorkerId { get; } = workerId ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>The time up to which timers may run: the earliest of this worker's hold and the fresh holds of the others.</summary>
    public async Task<DateTimeOffset> CaughtUpToAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var upTo = local.CaughtUpTo(now);
        var others = await store.EarliestAsync(WorkerId, now - FreshFor, cancellationToken).ConfigureAwait(false);
        return others is { } held && held < upTo ? held : upTo;
    }

    /// <summary>
    /// Called before this worker commits decisions (<see cref="GroupCommit"/>): where its hold is earlier than its row
    /// says (intake just began holding: a backlog arrived after a quiet spell), the row is written first. Otherwise the
    /// first events of a backlog, decided before the next <see cref="PublishEvery"/>, create timers already due that
    /// another worker runs ahead of the same customers' events behind them (the fault harness found one such mail).
    /// A hold that moved on is written at the next tick: a row behind the hold only makes the others wait a little more.
    /// </summary>
    public async ValueTask CoverAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hold = local.CaughtUpTo(now, forOtherWorkers: true);
        if (hold >= now)
            return;
        // The row holds at least this far back and was written lately enough that nobody took it for stale.
        var written = Interlocked.Read(ref _written);
        if (written != NotWritten && written <= hold.UtcTicks && now.UtcTicks - Interlocked.Read(ref _writtenAtTicks) < RenewEvery.Ticks)
            return;
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            written = Interlocked.Read(ref _written);
            if (written == NotWritten || written > hold.UtcTicks || now.UtcTicks - Interlocked.Read(ref _writtenAtTicks) >= RenewEvery.Ticks)
                await WriteAsync(hold, now, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Writes this worker's hold where it started, moved or needs renewing, and removes it once lifted; called
    /// every <see cref="PublishEvery"/>.</summary>
    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var hold = local.CaughtUpTo(now, forOtherWorkers: true);
            var written = Interlocked.Read(ref _written);
            if (hold >= now)
            {
                if (written == NotWritten)
                    return;
                Interlocked.Exchange(ref _written, NotWritten);
                await store.ReleaseAsync(WorkerId, now - FreshFor, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (written == hold.UtcTicks && now.UtcTicks - Interlocked.Read(ref _writtenAtTicks) < RenewEvery.Ticks)
                return;
            await WriteAsync(hold, now, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task WriteAsync(DateTimeOffset hold, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _written, NotWritten);
        await store.HoldAsync(WorkerId, hold, now, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _writtenAtTicks, now.UtcTicks);
        Interlocked.Exchange(ref _written, hold.UtcTicks);
    }

    public void Dispose() => _writing.Dispose();
}
