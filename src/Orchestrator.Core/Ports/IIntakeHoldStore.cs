namespace Orchestrator.Core.Ports;

/// <summary>
/// Each worker's intake hold, kept in the shared database so that a worker's timers also wait for the partitions other
/// workers consume (see <see cref="Processing.SharedIntakeHold"/>): a row per worker that holds timers back, with the
/// time up to which they may run and when it was last said.
/// </summary>
public interface IIntakeHoldStore
{
    /// <summary>Says that <paramref name="workerId"/> holds timers at <paramref name="holdAt"/>, as of <paramref name="now"/>.</summary>
    Task HoldAsync(string workerId, DateTimeOffset holdAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary><paramref name="workerId"/> holds nothing back (any more); also drops rows not renewed since
    /// <paramref name="staleBefore"/>, left by workers that died holding.</summary>
    Task ReleaseAsync(string workerId, DateTimeOffset staleBefore, CancellationToken cancellationToken);

    /// <summary>The earliest hold of the workers other than <paramref name="exceptWorkerId"/> renewed at or after
    /// <paramref name="freshSince"/>; null when none holds.</summary>
    Task<DateTimeOffset?> EarliestAsync(string exceptWorkerId, DateTimeOffset freshSince, CancellationToken cancellationToken);
}
