using System.Net.Mime;
using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.Logging;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;

namespace Orchestrator.Messaging;

/// <summary>An event that can never be processed; it goes to the error queue at once, without retries.</summary>
public sealed class InvalidEventException(string message) : Exception(message);

/// <summary>
/// An AMQP message as it came, unread: the JSON of a raw message, or the <c>message</c> of a MassTransit envelope. The
/// consumer takes this instead of a typed <see cref="Contracts.CustomerEvent"/> so that AMQP reads events with
/// <see cref="EventJson"/>, the same reader and rules as HTTP: typed deserialization accepted what HTTP refuses (a time
/// without an offset) and refused with other words than HTTP's. It claims CustomerEvent's message URN, so a .NET publisher
/// that sends a typed <see cref="Contracts.CustomerEvent"/> with MassTransit is read the same way.
/// </summary>
[MessageUrn("Orchestrator.Contracts:CustomerEvent")]
[JsonConverter(typeof(UnreadEventConverter))]
public sealed class UnreadEvent
{
    public required JsonElement Json { get; init; }
}

/// <summary>Keeps any JSON value as it is, so that every rule is <see cref="EventJson"/>'s and none MassTransit's.</summary>
internal sealed class UnreadEventConverter : JsonConverter<UnreadEvent>
{
    public override UnreadEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new UnreadEvent { Json = document.RootElement.Clone() };
    }

    // MassTransit writes the message into the Fault it publishes for a refused event: the bytes as they came, because
    // re-encoding the text of an event refused for broken Unicode would throw on it.
    public override void Write(Utf8JsonWriter writer, UnreadEvent value, JsonSerializerOptions options) =>
        writer.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value.Json), skipInputValidation: true);
}

/// <summary>
/// MassTransit's raw JSON reader, except that a message that is JSON <c>null</c> is refused with <see cref="EventJson"/>'s
/// reason, as the consumer refuses any other JSON that is not an object. It cannot wait for the consumer: the raw reader
/// turns a null into an undefined JsonElement, which throws ("Operation is not valid due to the current state of the
/// object") when MassTransit reads the message for the consumer, before <see cref="UnreadEventConverter"/> is called.
/// </summary>
internal sealed class EventDeserializerFactory(RawSerializerOptions options, ILogger<EventConsumer> logger) : ISerializerFactory
{
    private readonly SystemTextJsonRawMessageSerializerFactory _raw = new(options);

    public ContentType ContentType => _raw.ContentType;

    public IMessageSerializer CreateSerializer() => _raw.CreateSerializer();

    public IMessageDeserializer CreateDeserializer() => new EventDeserializer(_raw.CreateDeserializer(), logger);

    private sealed class EventDeserializer(IMessageDeserializer raw, ILogger logger) : IMessageDeserializer
    {
        public ContentType ContentType => raw.ContentType;

        public void Probe(ProbeContext context) => raw.Probe(context);

        public ConsumeContext Deserialize(ReceiveContext receiveContext)
        {
            // The raw reader parses the whole body first, so text that is not JSON keeps its own reason, and a body
            // whose first token is null is exactly a JSON null: only that token is read again.
            var consumeContext = raw.Deserialize(receiveContext);
            var body = receiveContext.Body.GetBytes();
            // An empty body is the consumer's to refuse, with its own words (EventConsumer.EmptyMessage).
            if (body.Length == 0)
                return consumeContext;
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (reader.Read() && reader.TokenType == JsonTokenType.Null)
            {
                // No limits: whether an event is an object comes before any of them.
                using var document = JsonDocument.Parse(body, EventJson.DocumentOptions);
                if (!EventJson.TryRead(document.RootElement, out _, out var error))
                    throw EventConsumer.Refused(logger, document.RootElement, error!);
            }
            return consumeContext;
        }

        public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) => raw.Deserialize(body, headers, destinationAddress);

        public MessageBody GetMessageBody(string text) => raw.GetMessageBody(text);
    }
}

/// <summary>Reads the AMQP message as HTTP reads its body, then hands it to Core: the decision is committed before the
/// message is acknowledged.</summary>
public sealed partial class EventConsumer(EventIngress ingress, IntakeProgress progress, PartitionHandover handover, ILogger<EventConsumer> logger) : IConsumer<UnreadEvent>
{
    public async Task Consume(ConsumeContext<UnreadEvent> context)
    {
        var source = IntakeSource(context.ReceiveContext.InputAddress);
        // Stopping: the event waits, unacknowledged, for its channel to close and goes to the next worker in order.
        if (!handover.Begin(source, context))
        {
            await handover.HoldAsync(source, context).ConfigureAwait(false);
            return;
        }
        try
        {
            await DecideAsync(context, source).ConfigureAwait(false);
        }
        finally
        {
            handover.End(source);
        }
    }

    private async Task DecideAsync(ConsumeContext<UnreadEvent> context, string source)
    {
        // MassTransit hands an empty body on as if it were {}: named for what it is.
        if (context.ReceiveContext.Body.Length == 0)
            throw Refused(logger, default, EmptyMessage);
        var json = context.Message.Json;
        if (!EventJson.TryRead(json, out var evt, out var error, ingress.Limits))
            throw Refused(logger, json, error!);
        // The partition's progress holds timers back while it works off a backlog (IntakeProgress).
        progress.Taking(source, evt!.OccurredAt);
        var retried = false;
        try
        {
            await ingress.WaitUntilItsTimeAsync(evt, context.CancellationToken).ConfigureAwait(false);
            var result = await ingress.IngestAsync(evt, context.CancellationToken).ConfigureAwait(false);
            if (result.Status == IngestStatus.Rejected)
                throw Rejected(result.EventId, result.Message!);
            LogConsumed(logger, result.EventId, result.Status, result.Outcomes, result.Sends);
        }
        catch (StoreUnavailableException ex)
        {
            retried = true; // taken again until the database is back (EventConsumerDefinition): timers wait for it
            LogWaitsForDatabase(logger, evt.EventId, ex.Message);
            throw;
        }
        finally
        {
            progress.Took(source, retried);
        }
    }

    /// <summary>The name a partition's progress is kept under: its queue's name (the last segment of its address).</summary>
    internal static string IntakeSource(Uri inputAddress) => Uri.UnescapeDataString(inputAddress.Segments[^1].TrimEnd('/'));

    private const string EmptyMessage = "the message is empty (0 bytes): The input does not contain any JSON tokens; an event is one JSON object";

    /// <summary>A message refused for good, logged and counted as a rejected event; the reason is HTTP's rejection
    /// message word for word, and the error queue's MT-Fault-Message carries it.</summary>
    internal static InvalidEventException Refused(ILogger logger, JsonElement json, string reason)
    {
        var eventId = EventJson.EventIdOf(json);
        LogUnreadable(logger, eventId ?? "(no eventId)", reason);
        OrchestratorMetrics.Event(IngestStatus.Rejected);
        return Rejected(eventId, reason);
    }

    private static InvalidEventException Rejected(string? eventId, string reason) => new($"event {eventId ?? "(no eventId)"} rejected: {reason}");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Event {EventId}: {Status}, {Outcomes} outcomes, {Sends} sends")]
    private static partial void LogConsumed(ILogger logger, string eventId, IngestStatus status, int outcomes, int sends);

    // One line per try: the retries back off to one every 30 s, so a long outage logs little, and an operator sees
    // the event is kept, not lost.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} waits for the database, tried again later: {Reason}")]
    private static partial void LogWaitsForDatabase(ILogger logger, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} rejected: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string eventId, string reason);
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
            r.Ignore<JsonException>();
        });
    }
}
