using System.Net.Mime;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;

namespace Orchestrator.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// RabbitMQ intake with MassTransit when <c>Orchestrator:Messaging:Transport</c> is <c>RabbitMq</c>. Publishers in any
    /// language send the event JSON (no envelope, content type application/json or none) to the exchange named
    /// <see cref="MessagingOptions.QueueName"/>, routing key = customerId; .NET publishers may also send
    /// <see cref="CustomerEvent"/> there with MassTransit.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(MessagingOptions.SectionName).Get<MessagingOptions>() ?? new MessagingOptions();
        if (options.Transport != MessagingTransport.RabbitMq)
            return builder;

        builder.Services.AddSingleton<MessagingHealth>();
        // Hands the partitions over in order when the worker stops, before MassTransit stops the bus (PartitionHandover).
        builder.Services.AddSingleton<PartitionHandover>();
        // Each worker consumes its share of the partitions (PartitionShare), counting the workers at the broker.
        builder.Services.AddSingleton<PartitionShare>();
        builder.Services.AddHostedService<PartitionPeers>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PartitionHandover>());
        // Timers wait for these queues at start (IntakeProgress): a worker that was down most likely has a backlog there.
        for (var partition = 0; partition < options.Partitions; partition++)
            builder.Services.AddSingleton(new Core.Processing.IntakeSource(options.PartitionQueue(partition)));
        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit 8.5 reports usage to its vendor by default; a worker talks to its own infrastructure only.
            bus.DisableUsageTelemetry();
            bus.AddConsumer<EventConsumer, EventConsumerDefinition>();
            bus.UsingRabbitMq((context, cfg) =>
            {
                var o = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                cfg.Host(o.Host, (ushort)o.Port, o.VirtualHost, h =>
                {
                    h.Username(o.Username);
                    h.Password(o.Password);
                    h.PublisherConfirmation = true;
                });
                // One error queue for all partitions: an operator looks in one place.
                cfg.SendTopology.ErrorQueueNameFormatter = new SharedErrorQueue(o.ErrorQueue);
                for (var partition = 0; partition < o.Partitions; partition++)
                {
                    cfg.ReceiveEndpoint(o.PartitionQueue(partition), e =>
                    {
                        // The exchanges are ours and typeless, so raw JSON from any client reaches the consumer.
                        e.ConfigureConsumeTopology = false;
                        e.DefaultContentType = new ContentType("application/json");
                        e.AddDeserializer(new EventDeserializerFactory(RawSerializerOptions.AnyMessageType, context.GetRequiredService<ILogger<EventConsumer>>()), isDefault: true);
                        if (o.QuorumQueue)
                            e.SetQuorumQueue();
                        // Per-customer order: a customer's events always land in the same partition (consistent hash of
                        // the routing key), a partition decides one event at a time in delivery order (RabbitMQ's
                        // consumer dispatch is sequential at a limit of 1), and one worker at a time consumes it.
                        e.SingleActiveConsumer = o.SingleActiveConsumer;
                        e.ConcurrentMessageLimit = 1;
                        e.PrefetchCount = o.PrefetchCount;
                        if (o.Partitions > 1)
                        {
                            e.Bind(o.QueueName, x =>
                            {
                                x.ExchangeType = "x-consistent-hash";
                                x.RoutingKey = "1"; // the partition's weight: all equal
                            });
                        }
                        e.ConfigureConsumer<EventConsumer>(context);
                        e.ConnectReceiveEndpointObserver(new IntakeEndpointObserver(context.GetRequiredService<Core.Processing.IntakeProgress>()));
                    });
                }
            });
        });
        return builder;
    }

    /// <summary>Tells <see cref="Core.Processing.IntakeProgress"/> when a partition starts and stops delivering, so timers
    /// wait at start until the partition has shown whether a backlog is queued.</summary>
    private sealed class IntakeEndpointObserver(Core.Processing.IntakeProgress progress) : IReceiveEndpointObserver
    {
        public Task Ready(ReceiveEndpointReady ready)
        {
            progress.Started(EventConsumer.IntakeSource(ready.InputAddress));
            return Task.CompletedTask;
        }

        public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

        public Task Completed(ReceiveEndpointCompleted completed)
        {
            progress.Stopped(EventConsumer.IntakeSource(completed.InputAddress));
            return Task.CompletedTask;
        }

        public Task Faulted(ReceiveEndpointFaulted faulted)
        {
            progress.Stopped(EventConsumer.IntakeSource(faulted.InputAddress));
            return Task.CompletedTask;
        }
    }

    private sealed class SharedErrorQueue(string name) : IErrorQueueNameFormatter
    {
        public string FormatErrorQueueName(string queueName) => name;
    }
}
