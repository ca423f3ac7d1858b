using System.Net.Mime;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;

namespace Orchestrator.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// RabbitMQ intake with MassTransit when <c>Orchestrator:Messaging:Transport</c> is <c>RabbitMq</c>. Publishers in any
    /// language send the event JSON (no envelope, content type application/json or none) to the exchange named like the
    /// queue; .NET publishers may also publish <see cref="CustomerEvent"/> with MassTransit.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();
        var options = builder.Configuration.GetSection(MessagingOptions.SectionName).Get<MessagingOptions>() ?? new MessagingOptions();
        if (options.Transport != MessagingTransport.RabbitMq)
            return builder;

        builder.Services.AddMassTransit(bus =>
        {
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
                cfg.ReceiveEndpoint(o.QueueName, e =>
                {
                    // The exchange is ours and typeless, so raw JSON from any client reaches the consumer.
                    e.ConfigureConsumeTopology = false;
                    e.DefaultContentType = new ContentType("application/json");
                    e.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
                    if (o.QuorumQueue)
                        e.SetQuorumQueue();
                    // Per-customer order across processes: the partitioner below only orders events within one worker.
                    e.SingleActiveConsumer = o.SingleActiveConsumer;
                    e.PrefetchCount = o.PrefetchCount;
                    e.ConcurrentMessageLimit = o.ConcurrentMessageLimit;
                    e.ConfigureConsumer<EventConsumer>(context);
                });
            });
        });
        return builder;
    }
}
