using System.Text.Json;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// What a broken publisher can do to the worker over AMQP, on a real RabbitMQ: every message that can never be
/// processed lands in the error queue with its reason, and everything else goes on as if it had not been sent.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class AmqpBadInputTests : IAsyncLifetime
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private Broker? _broker;
    private WorkerProcess? _worker;

    private Broker Broker => _broker!;
    private WorkerProcess Worker => _worker!;

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-bad-input");
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = Broker.Name;
        settings["Orchestrator__Messaging__Partitions"] = "2";
        // Healthy means every partition is consumed, so the exchange and its queues exist.
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
    }

    public async Task DisposeAsync()
    {
        _worker?.Dispose();
        if (_broker is not null)
            await _broker.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Messages_that_can_never_be_processed_go_to_the_error_queue_with_their_reason_and_the_rest_goes_on()
    {
        var cases = new (string Body, string? ContentType, string Reason)[]
        {
            ("this is not json", "application/json", "is an invalid JSON literal"),
            ("<event id=\"1\"/>", "text/xml", "'<' is an invalid start of a value"),
            // MassTransit hands a JSON null on as no message at all: refused before it, with HTTP's words.
            ("null", "application/json", "event (no eventId) rejected: an event must be a JSON object"),
            (Event("m-no-customer", null, "cart.abandoned"), "application/json", "event m-no-customer rejected: missing required field(s) customerId"),
            (Event("m-bad-time", "c-1", "cart.abandoned").Replace(OccurredAt, "yesterday", StringComparison.Ordinal), "application/json", "event m-bad-time rejected: occurredAt 'yesterday' is not an ISO 8601 time with its offset"),
            (Event("m-bad-properties", "c-1", "cart.abandoned", properties: "[1, 2]"), null, "event m-bad-properties rejected: properties must be a JSON object"),
            (Event("m-blank-type", "c-1", " "), null, "event m-blank-type rejected: missing required field(s) type"),
            (Event("m-2062", "c-1", "cart.emptied").Replace(OccurredAt, "2062-03-02T08:55:00Z", StringComparison.Ordinal), null, "event m-2062 rejected: occurredAt 2062-03-02T08:55:00Z is"),
        };
        // Spread over both partitions: their failures meet in one error queue.
        var routingKey = 0;
        foreach (var (body, contentType, _) in cases)
            await Broker.PublishAsync(body, contentType, routingKey: $"c-{routingKey++}");
        // Published last: a good event behind the bad ones is still decided.
        await Broker.PublishAsync(Event("m-good", "c-1", "cart.abandoned"), routingKey: "c-1");

        await Broker.WaitForCountAsync(Broker.ErrorQueue, (uint)cases.Length, TimeSpan.FromSeconds(30));
        await WaitForAsync(async () => (await Outcomes()).Count > 0, "the good event's outcomes");

        var dead = await Broker.TakeAllAsync(Broker.ErrorQueue);
        Assert.Equal(cases.Length, dead.Count);
        foreach (var (body, _, reason) in cases)
        {
            var message = Assert.Single(dead, m => m.Body == body);
            Assert.Contains(reason, message.Headers["MT-Fault-Message"], StringComparison.Ordinal);
        }
        Assert.Equal(0u, await Broker.CountAsync(Broker.Name + ".0") + await Broker.CountAsync(Broker.Name + ".1"));

        // Only the good event was taken in; the rejected ones left no trace but their log line.
        Assert.Equal(["m-good"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox"));
        Assert.Equal(["entered", "waiting"], await Outcomes());
        Assert.Contains("Event m-bad-properties rejected: properties must be a JSON object", Worker.Output, StringComparison.Ordinal);
        Assert.False(Worker.HasExited);
        Assert.Equal("ok", (await Worker.HealthAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_event_of_a_type_no_journey_uses_is_recorded_with_a_warning_and_changes_nothing()
    {
        await Broker.PublishAsync(Event("m-mystery", "c-2", "mystery.happened"), routingKey: "c-2");
        await Broker.PublishAsync(Event("m-after", "c-2", "cart.abandoned"), routingKey: "c-2");

        await WaitForAsync(async () => (await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox")).Count == 2, "both events in the inbox");
        await Worker.WaitForOutputAsync("No journey uses event type mystery.happened (event m-mystery)", TimeSpan.FromSeconds(10));

        // Only the cart started anything; the unknown type is not an error and sends nothing to the error queue.
        await WaitForAsync(async () => (await Outcomes()).Count == 2, "the cart's outcomes");
        Assert.Equal(["entered", "waiting"], await Outcomes());
        Assert.Equal(["cart-recovery"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT journey_id FROM instances"));
        Assert.Equal(0u, await Broker.CountAsync(Broker.ErrorQueue));
    }

    // Now, so that the cart's first wait (1h) is not yet due while the test looks.
    private static readonly string OccurredAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private Task<IReadOnlyList<string>> Outcomes() => StorageProbe.ColumnAsync(_folder.Database, "SELECT kind FROM outcomes ORDER BY id");

    private static string Event(string eventId, string? customerId, string type, string properties = """{"cartId":"k-9","total":84.5,"itemCount":3}""") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["eventId"] = eventId,
            ["customerId"] = customerId,
            ["type"] = type,
            ["occurredAt"] = OccurredAt,
            ["properties"] = JsonDocument.Parse(properties).RootElement,
            ["customer"] = new { email = "ann@example.com", firstName = "Ann" },
        }.Where(p => p.Value is not null).ToDictionary());

    private async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no {what} within 30s:\n{Worker.Output}");
            await Task.Delay(200);
        }
    }
}
