using MassTransit;
using Microsoft.Extensions.Logging;
using Orchestrator.Contracts;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;

namespace Orchestrator.Messaging;

/// <summary>An event that can never be processed; it goes to the error queue at once, without retries.</summary>
public sealed class InvalidEventException(string message) : Exception(message);

/// <summary>Maps the AMQP message to Core: the decision is committed before the message is acknowledged.</summary>
public sealed partial class EventConsumer(EventIngress ingress, ILogger<EventConsumer> logger) : IConsumer<CustomerEvent>
{
    public async Task Consume(ConsumeContext<CustomerEvent> context)
    {
        var result = await ingress.IngestAsync(context.Message, context.CancellationToken).ConfigureAwait(false);
        if (result.Status == IngestStatus.Rejected)
            throw new InvalidEventException($"event {context.Message.EventId ?? "(no eventId)"} rejected: {result.Message}");
        LogConsumed(logger, result.EventId, result.Status, result.Outcomes, result.Sends);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Event {EventId}: {Status}, {Outcomes} outcomes, {Sends} sends")]
    private static partial void LogConsumed(ILogger logger, string eventId, IngestStatus status, int outcomes, int sends);
}

/// <summary>Retries for the consumer, in one place; order and concurrency are the partitions' (see <see cref="MessagingExtensions"/>).</summary>
public sealed class EventConsumerDefinition : ConsumerDefinition<EventConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<EventConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Database contention and the like pass; a malformed event never will, so it skips the retries. A partition
        // decides one event at a time, so a retry holds back the events behind it and the customer's order is kept.
        // A database that cannot record (gone, full, locked, unreachable) is no fault of the event: it is tried again
        // for as long as that lasts, never moved to the error queue, and left unacknowledged when the worker stops.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<StoreUnavailableException>();
            r.Exponential(int.MaxValue, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        });
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Intervals(100, 500, 2_000, 5_000);
            r.Ignore<StoreUnavailableException>();
            r.Ignore<InvalidEventException>();
            r.Ignore<System.Text.Json.JsonException>();
        });
    }
}
