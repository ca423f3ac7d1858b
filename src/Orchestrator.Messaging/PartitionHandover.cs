using System.Collections.Concurrent;
using MassTransit;
using MassTransit.RabbitMqTransport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Messaging;

/// <summary>
/// Hands every partition this worker consumes over to the next worker in publish order when it stops, and a partition
/// beyond this worker's share whenever it holds one (<see cref="PartitionShare"/>).
/// <para>
/// Why: MassTransit's graceful stop sends <c>basic.cancel</c> first and finishes the event in flight after, while the
/// events it had prefetched stay unacknowledged on its channel. RabbitMQ makes the standby consumer active at the cancel
/// and hands it the next event published, and the prefetched ones come back only when the channel closes: after later
/// events of the same customers. With a backlog, RabbitMQ 3.10's classic queue process even crashed (publishers got
/// nacks; rabbitmq-server#5460). An experiment of 79 runs (MassTransit 8.5.12, RabbitMQ 3.10.8) saw events out of order
/// in every run with steady publishing; kill -9 never did, because a channel that dies has its unacknowledged events
/// requeued and the next consumer made active in one step.
/// </para>
/// <para>
/// So on stopping, before MassTransit stops the bus (<see cref="IHostedLifecycleService.StoppingAsync"/> runs before
/// every hosted service's StopAsync), each partition takes no new event (<see cref="Begin"/> says so: the consumer holds the
/// next delivery unacknowledged), the event in flight is finished and acknowledged, and then the partition's channel is
/// closed: RabbitMQ requeues what it had prefetched, in order, and the standby starts from there. Nothing is lost: what
/// was not acknowledged is requeued, and what was decided but not acknowledged is a duplicate the inbox knows.
/// </para>
/// </summary>
public sealed partial class PartitionHandover(PartitionShare share, ILogger<PartitionHandover> logger) : IHostedLifecycleService
{
    /// <summary>How long the stop waits for the events in flight before it closes the channels anyway (their events are
    /// then requeued too, and decided again by the next worker: the inbox tells a repeat).</summary>
    public static readonly TimeSpan InFlightWait = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, ChannelContext> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    // Each channel closed once, whoever asks first: the stop, or a delivery held on it.
    private readonly ConcurrentDictionary<object, Task> _closing = new(ReferenceEqualityComparer.Instance);
    // Set once the worker is stopping: a partition takes no new event.
    private volatile bool _draining;

    /// <summary>Called by the consumer as an event of <paramref name="source"/> begins: remembers the partition's channel
    /// and counts the event in flight. False when the worker is stopping, or holds more than its share of the partitions
    /// (<see cref="PartitionShare"/>): the event is to be held, not decided, and the partition handed on.</summary>
    internal bool Begin(string source, ConsumeContext context)
    {
        var known = context.TryGetPayload<ChannelContext>(out var channel);
        if (known)
            _channels[source] = channel!;
        _inFlight.AddOrUpdate(source, 1, (_, n) => n + 1);
        // With ConcurrentMessageLimit 1 this delivery is the partition's only one in flight: stepping aside here leaves
        // nothing half done on the channel but this delivery, which the close requeues at the head of the queue.
        if (!_draining && !(known && share.StepsAside(source, channel!.Channel, () => channel.Channel.IsOpen)))
            return true;
        End(source);
        return false;
    }

    internal void End(string source) => _inFlight.AddOrUpdate(source, 0, (_, n) => Math.Max(0, n - 1));

    /// <summary>
    /// Holds a delivery that came while stopping, or on a partition this worker hands to another (<see cref="PartitionShare"/>),
    /// unacknowledged, until its channel closes (the consume is cancelled then, which MassTransit neither retries nor
    /// moves to the error queue), and closes that channel itself: while stopping, one not known when the stop began (a
    /// partition that had taken no event yet, one reconnected since, or MassTransit consuming again after the close)
    /// would otherwise keep it until MassTransit's cancel-first stop.
    /// </summary>
    internal Task HoldAsync(string source, ConsumeContext context)
    {
        // Not awaited: the close waits for the client's dispatcher, which is running this very delivery.
        if (context.TryGetPayload<ChannelContext>(out var channel))
            _ = CloseOnceAsync(source, channel);
        return Task.Delay(Timeout.Infinite, context.CancellationToken);
    }

    private Task CloseOnceAsync(string source, ChannelContext channel) =>
        _closing.GetOrAdd(channel.Channel, _ => Task.Run(() => CloseAsync(source, channel)));

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(InFlightWait);
        try
        {
            while (_inFlight.Values.Any(n => n > 0))
                await Task.Delay(10, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogInFlightLeft(logger, InFlightWait.TotalSeconds, string.Join(", ", _inFlight.Where(p => p.Value > 0).Select(p => p.Key)));
        }
        await Task.WhenAll(_channels.Select(p => CloseOnceAsync(p.Key, p.Value))).ConfigureAwait(false);
    }

    private async Task CloseAsync(string source, ChannelContext channel)
    {
        try
        {
            // A channel closed already (the broker went away, or the connection was recovered since) has nothing of this
            // partition's unacknowledged: the broker requeued it when the channel ended.
            if (!channel.Channel.IsOpen)
                return;
            // Bounded here: the client waits for the broker's close-ok without a token while the channel is open.
            await channel.Channel.CloseAsync(200, "orchestrator worker: partition handed over", false)
                .WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            LogHandedOver(logger, source);
        }
        catch (ObjectDisposedException)
        {
            // MassTransit disposes its channel object as the close goes through: the close still happened.
            LogHandedOver(logger, source);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A broker that is gone has closed the channel already; the stop goes on either way.
            LogCloseFailed(logger, ex, source);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Source} handed over: its channel closed, what it had prefetched requeued in order")]
    private static partial void LogHandedOver(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Source}: closing its channel failed; the broker requeues its events when the connection ends")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Events still in flight after {Seconds} s on partition(s) {Sources}; their channels are closed anyway and the events requeued")]
    private static partial void LogInFlightLeft(ILogger logger, double seconds, string sources);
}
