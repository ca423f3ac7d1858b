using System.Text;
using RabbitMQ.Client;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>A message read back from a queue: its body and its headers (text values decoded).</summary>
internal sealed record QueuedMessage(string Body, string? ContentType, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// The local RabbitMQ seen with the plain AMQP client (not MassTransit): what a publisher in any language does, and what
/// an operator finds in the queues. Deletes the queues and exchanges of its test name when disposed.
/// </summary>
internal sealed class Broker : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private Broker(string name, IConnection connection, IChannel channel)
    {
        Name = name;
        _connection = connection;
        _channel = channel;
    }

    /// <summary>The queue and exchange the worker is configured with; unique per test.</summary>
    public string Name { get; }

    public string ErrorQueue => Name + "_error";

    /// <param name="port">The broker's AMQP port: the shared one, or a node of a test's own (the fault harness's).</param>
    public static async Task<Broker> ConnectAsync(string prefix, int port = 5672)
    {
        var connection = await new ConnectionFactory { HostName = "127.0.0.1", Port = port }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return new Broker($"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 60)], connection, channel);
    }

    /// <summary>Publishes one message to the worker's exchange, routing key = the customer (as the README asks of
    /// publishers), and waits for the broker's confirm.</summary>
    public async Task PublishAsync(string body, string? contentType = "application/json", string routingKey = "")
    {
        var properties = new BasicProperties { ContentType = contentType, Persistent = true };
        await _channel.BasicPublishAsync(Name, routingKey, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Takes every message now in <paramref name="queue"/>.</summary>
    public async Task<IReadOnlyList<QueuedMessage>> TakeAllAsync(string queue)
    {
        var messages = new List<QueuedMessage>();
        while (await _channel.BasicGetAsync(queue, autoAck: true) is { } result)
        {
            var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .ToDictionary(h => h.Key, h => h.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(h.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "", StringComparer.Ordinal);
            messages.Add(new QueuedMessage(Encoding.UTF8.GetString(result.Body.Span), result.BasicProperties.ContentType, headers));
        }
        return messages;
    }

    /// <summary>Messages in <paramref name="queue"/>; 0 while it does not exist (MassTransit declares the error queue
    /// with the first fault). A failed passive declare closes its channel, so each count uses a channel of its own.</summary>
    public async Task<uint> CountAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return await channel.MessageCountAsync(queue);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>Waits until <paramref name="queue"/> holds <paramref name="count"/> messages or more.</summary>
    public async Task WaitForCountAsync(string queue, uint count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await CountAsync(queue) < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{queue} holds {await CountAsync(queue)} messages, not {count}, after {timeout}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var channel = await _connection.CreateChannelAsync();
            foreach (var queue in new[] { Name, ErrorQueue, Name + "_skipped" }.Concat(Enumerable.Range(0, 16).Select(p => $"{Name}.{p}")))
            {
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
                await channel.ExchangeDeleteAsync(queue, ifUnused: false);
            }
        }
        finally
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
