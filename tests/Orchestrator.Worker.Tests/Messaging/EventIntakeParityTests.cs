using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// HTTP and AMQP are two ways into one reader: every bad event HTTP refuses with a 400 and its reason lands in the
/// error queue with the same reason, on a real RabbitMQ and the real worker process, and neither way decides anything.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class EventIntakeParityTests : IAsyncLifetime
{
    private const string EnvelopeContentType = "application/vnd.masstransit+json";

    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private Broker? _broker;
    private WorkerProcess? _worker;

    private Broker Broker => _broker!;
    private WorkerProcess Worker => _worker!;

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-parity");
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = Broker.Name;
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
    }

    public async Task DisposeAsync()
    {
        _worker?.Dispose();
        if (_broker is not null)
            await _broker.DisposeAsync();
        _folder.Dispose();
    }

    // The refusal of a future date names the worker's clock at that moment, which moves between the two sends.
    private static string WithoutClock(string reason) =>
        System.Text.RegularExpressions.Regex.Replace(reason, @"the worker's clock \([^)]*\)", "the worker's clock (now)");

    // Before BadEvents: static fields are initialized in order.
    private static readonly string Now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    // Bodies both ways refuse, with a piece of the reason each must carry (the exact text is HTTP's answer).
    private static readonly (string Body, string Reason)[] BadEvents =
    [
        (Event("p-no-offset", occurredAt: "2026-03-02T08:55:00"), "is not an ISO 8601 time with its offset"),
        (Event("p-zero-date", occurredAt: "0001-01-01T00:00:00Z"), "is the zero date"),
        (Event("p-local-format", occurredAt: "03/02/2026 08:55"), "is not an ISO 8601 time with its offset"),
        (Event("p-no-customer", customerId: null), "missing required field(s) customerId"),
        (Event(new string('x', 201)), "eventId is 201 characters long; at most 200 are allowed"),
        (Event("p-surrogate", firstName: "\\ud800"), "customer.firstName holds text that is not valid Unicode"),
        (Event("p-properties", properties: "[1, 2]"), "properties must be a JSON object"),
        (Event("p-2062", occurredAt: "2062-03-02T08:55:00Z"), "occurredAt 2062-03-02T08:55:00Z is"),
    ];

    [Fact]
    public async Task Every_event_HTTP_refuses_goes_to_the_error_queue_with_the_reason_HTTP_gives_and_nothing_is_decided()
    {
        var httpReasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (body, reason) in BadEvents)
        {
            var (status, answer) = await Worker.PostEventsAsync(body);
            Assert.Equal(400, status);
            var message = answer.GetProperty("message").GetString()!;
            Assert.Contains(reason, message, StringComparison.Ordinal);
            httpReasons[body] = $"event {answer.GetProperty("eventId").GetString() ?? "(no eventId)"} rejected: {message}";
        }

        foreach (var (body, _) in BadEvents)
            await Broker.PublishAsync(body, routingKey: "c-1");
        // A MassTransit publisher's envelope around a time without an offset: refused by the same reader.
        var badEnvelope = Envelope(Event("p-envelope-no-offset", occurredAt: "2026-03-02T08:55:00"));
        await Broker.PublishAsync(badEnvelope, EnvelopeContentType, routingKey: "c-1");

        await Broker.WaitForCountAsync(Broker.ErrorQueue, (uint)BadEvents.Length + 1, TimeSpan.FromSeconds(30));
        var dead = await Broker.TakeAllAsync(Broker.ErrorQueue);
        Assert.Equal(BadEvents.Length + 1, dead.Count);
        foreach (var (body, _) in BadEvents)
            Assert.Equal(WithoutClock(httpReasons[body]), WithoutClock(Assert.Single(dead, m => m.Body == body).Headers["MT-Fault-Message"]));
        Assert.Equal(
            "event p-envelope-no-offset rejected: occurredAt '2026-03-02T08:55:00' is not an ISO 8601 time with its offset, such as 2026-03-02T08:55:00Z or 2026-03-02T09:55:00+01:00",
            Assert.Single(dead, m => m.Body == badEnvelope).Headers["MT-Fault-Message"]);

        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox"));
        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT kind FROM outcomes"));
        Assert.False(Worker.HasExited);
    }

    [Fact]
    public async Task Good_events_are_taken_in_raw_and_in_a_MassTransit_envelope_with_any_written_offset()
    {
        var now = DateTimeOffset.UtcNow;
        await Broker.PublishAsync(Event("p-raw", customerId: "c-raw", occurredAt: now.ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)), routingKey: "c-raw");
        await Broker.PublishAsync(Envelope(Event("p-envelope", customerId: "c-envelope")), EnvelopeContentType, routingKey: "c-envelope");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox")).Count < 2)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not both events in the inbox within 30s:\n{Worker.Output}");
            await Task.Delay(200);
        }
        Assert.Equal(["p-envelope", "p-raw"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox ORDER BY event_id"));
        Assert.Equal(["c-envelope", "c-raw"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT customer_id FROM instances ORDER BY customer_id"));
        Assert.Equal(0u, await Broker.CountAsync(Broker.ErrorQueue));
    }

    // Written as text, not serialized, so that a lone surrogate escape reaches the worker as the publisher wrote it.
    private static string Event(string eventId, string? customerId = "c-1", string? occurredAt = null, string properties = """{"cartId":"k-9","total":84.5,"itemCount":3}""", string firstName = "Ann") =>
        "{" + $"\"eventId\":\"{eventId}\"," + (customerId is null ? "" : $"\"customerId\":\"{customerId}\",")
            + $"\"type\":\"cart.abandoned\",\"occurredAt\":\"{occurredAt ?? Now}\",\"properties\":{properties},"
            + $"\"customer\":{{\"email\":\"ann@example.com\",\"firstName\":\"{firstName}\"}}" + "}";

    // What MassTransit's default serializer sends for a CustomerEvent published from .NET.
    private static string Envelope(string message) =>
        $$"""{"messageId":"{{Guid.NewGuid()}}","messageType":["urn:message:Orchestrator.Contracts:CustomerEvent"],"message":{{message}}}""";
}
