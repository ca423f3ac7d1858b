using System.Diagnostics;
using MassTransit;
using RabbitMQ.Client;

namespace Orchestrator.Bench.Intake;

/// <summary>
/// The raw part the worker's AMQP intake is read against (issue 11: "intake over RabbitMQ vs a no-op MassTransit
/// consumer on the same partitioned queues"): MassTransit 8.5 on the topology and settings the worker uses
/// (<c>MessagingExtensions</c>: a consistent-hash exchange over the partition queues, raw JSON, single active consumer,
/// one message at a time per partition, prefetch 16), with a consumer that does nothing. The ratio is then what the
/// worker's own work (reading, deciding, committing) costs on top of its transport.
/// </summary>
internal static class NoOpMassTransit
{
    private const int Prefetch = 16; // MessagingOptions.PrefetchCount's default

    public static async Task<double> RateAsync(IConnection connection, List<(string Customer, string Body)> events,
        int partitions, Func<IConnection, string, string, List<(string Customer, string Body)>, Task> publish)
    {
        var name = $"bench-noop-{Guid.NewGuid():N}"[..24];
        string Queue(int p) => partitions == 1 ? name : $"{name}.{p}";
        var counter = new Counter(events.Count);
        IBusControl NewBus() => Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host("127.0.0.1", "/", h =>
            {
                h.Username("guest");
                h.Password("guest");
            });
            for (var partition = 0; partition < partitions; partition++)
            {
                cfg.ReceiveEndpoint(Queue(partition), e =>
                {
                    e.ConfigureConsumeTopology = false;
                    e.DefaultContentType = new System.Net.Mime.ContentType("application/json");
                    e.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
                    e.SingleActiveConsumer = true;
                    e.ConcurrentMessageLimit = 1;
                    e.PrefetchCount = Prefetch;
                    if (partitions > 1)
                        e.Bind(name, x =>
                        {
                            x.ExchangeType = "x-consistent-hash";
                            x.RoutingKey = "1";
                        });
                    e.Consumer(() => new NoOpConsumer(counter));
                });
            }
        });
        // A first bus declares the queues and stops; the events are published; a second bus takes them (a stopped bus
        // does not start again): the worker's run starts on full queues the same way.
        var declaring = NewBus();
        await declaring.StartAsync();
        await declaring.StopAsync();
        var bus = NewBus();
        try
        {
            await publish(connection, name, "", events);
            await bus.StartAsync();
            try
            {
                await counter.Done.Task.WaitAsync(TimeSpan.FromMinutes(3));
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException($"the no-op MassTransit consumer took {counter.Seen} of {events.Count} messages in 3 minutes");
            }
            return (events.Count - 1) / counter.Elapsed.TotalSeconds;
        }
        finally
        {
            await bus.StopAsync();
            await using var channel = await connection.CreateChannelAsync();
            for (var partition = 0; partition < partitions; partition++)
            {
                await channel.QueueDeleteAsync(Queue(partition), false, false);
                await channel.ExchangeDeleteAsync(Queue(partition), false);
            }
            await channel.ExchangeDeleteAsync(name, false);
        }
    }

    internal sealed class Counter(int expected)
    {
        private readonly Stopwatch _clock = new();
        private int _seen;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TimeSpan Elapsed => _clock.Elapsed;

        public int Seen => Volatile.Read(ref _seen);

        public void One()
        {
            var seen = Interlocked.Increment(ref _seen);
            if (seen == 1)
                _clock.Start();
            if (seen == expected)
            {
                _clock.Stop();
                Done.TrySetResult();
            }
        }
    }
}

/// <summary>Any JSON message: the consumer reads nothing of it. Public and top-level: MassTransit builds its message
/// topology only for public types and otherwise moves every message to the <c>_skipped</c> queue.</summary>
public sealed record NoOpEvent(string? EventId);

public sealed class NoOpConsumer : IConsumer<NoOpEvent>
{
    private readonly NoOpMassTransit.Counter _counter;

    internal NoOpConsumer(NoOpMassTransit.Counter counter) => _counter = counter;

    public Task Consume(ConsumeContext<NoOpEvent> context)
    {
        _counter.One();
        return Task.CompletedTask;
    }
}
