using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orchestrator.Messaging;

/// <summary>
/// Spreads the partitions over the workers consuming them. With single active consumer, RabbitMQ makes the first consumer
/// of a queue the active one, so the worker started first consumed every partition and every other worker stood by: a
/// second worker added no intake at all. Here each worker holds at most its share, <c>ceil(partitions / workers)</c>,
/// and steps aside from a partition it holds beyond that: the partition's next delivery is held unacknowledged and its
/// channel closed (<see cref="PartitionHandover"/>, the same ordered hand-over as a stopping worker's), so RabbitMQ
/// requeues what it had prefetched, in order, and makes the next consumer in line active; MassTransit consumes the queue
/// again a moment later, now at the end of the line, as a standby. Single active consumer stays the fail-over: a worker
/// that dies or stops hands its partitions to the others as before, and whoever then holds more than its share gives the
/// surplus on when a worker comes back.
/// </summary>
/// <remarks>
/// <para>
/// A worker knows the partitions it holds from its deliveries: a partition is held from its first delivery on a channel
/// while that channel stays open (a held queue that is quiet costs nothing, and the first event it delivers tells). How
/// many workers there are it reads from the broker (<see cref="PartitionPeers"/>: every worker consumes every partition
/// queue, so a queue's consumer count is the number of workers attached to it), not from a roster: a worker whose broker
/// connection is down cannot take a partition, and the broker's count already leaves it out.
/// </para>
/// <para>
/// The share rounds up, so the shares always cover every partition and the stepping aside ends: with two workers the one
/// above its share has the other below it, which takes the partition and keeps it. With three, a partition may land on
/// a worker already at its share, which passes it on to the next in line; a worker that stepped aside from a partition
/// keeps it when it comes back within <see cref="StepAsideAgainAfter"/>, which bounds the hand-overs when the count
/// changes (a worker dying between two reads).
/// </para>
/// </remarks>
public sealed partial class PartitionShare
{
    /// <summary>A partition this worker stepped aside from is not given up again for this long: it came back because no
    /// other worker was there to take it (the count was stale), and a second hand-over would only pause it again.</summary>
    public static readonly TimeSpan StepAsideAgainAfter = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    // The partitions held here: the channel each delivered on (its identity), and whether that channel is still open.
    private readonly Dictionary<string, (object Channel, Func<bool> IsOpen)> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _steppedAside = new(StringComparer.Ordinal);
    private int _workers = 1;

    public PartitionShare(IOptions<MessagingOptions> options, TimeProvider time, ILogger<PartitionShare> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        // The gauge reads the partitions held at scrape time: one worker's share of the intake beside the others'.
        Core.Processing.OrchestratorMetrics.ObservePartitionsHeld(() => Held);
    }

    private readonly IOptions<MessagingOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PartitionShare> _logger;

    private bool Spreads => _options.Value.SingleActiveConsumer && _options.Value.SpreadPartitions && _options.Value.Partitions > 1;

    /// <summary>The workers attached to the partition queues, as last read from the broker (1 until read).</summary>
    public int Workers => Volatile.Read(ref _workers);

    /// <summary>How many partitions this worker holds at most: <c>ceil(partitions / workers)</c>.</summary>
    public int Share => (_options.Value.Partitions + Workers - 1) / Workers;

    /// <summary>The partitions this worker holds now: those that delivered to it on a channel still open.</summary>
    public int Held
    {
        get
        {
            lock (_gate)
            {
                ForgetClosed();
                return _held.Count;
            }
        }
    }

    /// <summary>The workers attached, as read from the broker; fewer than 1 is taken as 1 (nothing read means no spreading).</summary>
    internal void Attached(int workers)
    {
        workers = Math.Max(1, workers);
        var previous = Interlocked.Exchange(ref _workers, workers);
        if (previous != workers && Spreads)
        {
            var share = Share;
            LogWorkers(_logger, workers, _options.Value.Partitions, share);
        }
    }

    /// <summary>
    /// Called at each delivery of <paramref name="source"/> on <paramref name="channel"/>: true when this worker holds
    /// more than its share and the partition is to be handed on (the caller holds the delivery and closes the channel).
    /// </summary>
    internal bool StepsAside(string source, object channel, Func<bool> isOpen)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            ForgetClosed();
            _held[source] = (channel, isOpen);
            if (!Spreads)
                return false;
            var share = Share;
            if (_held.Count <= share)
                return false;
            if (_steppedAside.TryGetValue(source, out var at) && now - at < StepAsideAgainAfter)
                return false;
            _held.Remove(source);
            _steppedAside[source] = now;
            LogSteppingAside(_logger, source, _held.Count + 1, _options.Value.Partitions, Workers, share);
            return true;
        }
    }

    // A channel that closed (a reconnect, a broker restart, a hand-over) took this worker's consumer with it: MassTransit's
    // new consumer is at the end of the line, so the partition is held here again only once it delivers again.
    private void ForgetClosed()
    {
        foreach (var (source, held) in _held)
        {
            if (!held.IsOpen())
                _held.Remove(source);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Source}: handing it to another worker; this worker held {Held} of {Partitions} partitions, its share with {Workers} workers is {Share}")]
    private static partial void LogSteppingAside(ILogger logger, string source, int held, int partitions, int workers, int share);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Workers} worker(s) consume the {Partitions} partitions: this worker's share is {Share}")]
    private static partial void LogWorkers(ILogger logger, int workers, int partitions, int share);
}
