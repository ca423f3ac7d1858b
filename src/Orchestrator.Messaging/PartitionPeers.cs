using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Orchestrator.Messaging;

/// <summary>
/// Reads from the broker how many workers consume the partition queues, every <see cref="ReadEvery"/>, for
/// <see cref="PartitionShare"/>. Every worker consumes every partition queue (active or standby), so a queue's consumer
/// count (queue.declare-ok of a passive declare, which counts standby consumers too) is the number of workers attached;
/// the largest over the partitions is taken, because a worker's consumer is missing from a queue for a moment while it
/// reconnects. Its own small connection: MassTransit's channels are its own to open and close.
/// </summary>
internal sealed partial class PartitionPeers(PartitionShare share, IOptions<MessagingOptions> options, ILogger<PartitionPeers> logger) : BackgroundService
{
    /// <summary>How often the count is read: a worker that joins gets its first partitions within about this long of
    /// attaching, plus the next delivery of a partition the others hold beyond their share.</summary>
    public static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(3);

    private IConnection? _connection;
    private IChannel? _channel;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.SingleActiveConsumer || !o.SpreadPartitions || o.Partitions < 2)
            return;
        using var timer = new PeriodicTimer(ReadEvery);
        string? failing = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    share.Attached(await CountAsync(o, stoppingToken).ConfigureAwait(false));
                    failing = null;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The broker is away, or the queues are not declared yet (a passive declare of a missing queue closes
                    // the channel): the last count stands, and MassTransit's own reconnecting is what the log shows.
                    // Said once it fails twice running: the first read may come before MassTransit declared the queues.
                    if (failing == ex.Message)
                        LogReadFailed(logger, ex.Message);
                    failing = failing == ex.Message ? "" : ex.Message;
                    await DropAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await DropAsync().ConfigureAwait(false);
        }
    }

    private async Task<int> CountAsync(MessagingOptions o, CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true })
        {
            await DropAsync().ConfigureAwait(false);
            var factory = new ConnectionFactory
            {
                HostName = o.Host,
                Port = o.Port,
                VirtualHost = o.VirtualHost,
                UserName = o.Username,
                Password = o.Password,
                ClientProvidedName = "orchestrator worker: partition peers",
                AutomaticRecoveryEnabled = false,
            };
            _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_channel is not { IsOpen: true })
            _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var most = 0;
        for (var partition = 0; partition < o.Partitions; partition++)
        {
            var declared = await _channel.QueueDeclarePassiveAsync(o.PartitionQueue(partition), cancellationToken).ConfigureAwait(false);
            most = Math.Max(most, (int)Math.Min(declared.ConsumerCount, int.MaxValue));
        }
        return most;
    }

    private async Task DropAsync()
    {
        try
        {
            if (_channel is not null)
                await _channel.DisposeAsync().ConfigureAwait(false);
            if (_connection is not null)
                await _connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Closing what is broken already: nothing to keep.
        }
        _channel = null;
        _connection = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "How many workers consume the partitions could not be read from the broker, tried again: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);
}
