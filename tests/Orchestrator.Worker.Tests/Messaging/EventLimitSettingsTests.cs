using System.Text.Json;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// The size limits are settings (<c>Orchestrator:Intake:Limits</c>): lowered, they are enforced the same over HTTP and
/// AMQP with the setting named in the reason, and a limit that makes no sense stops the worker at start.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class EventLimitSettingsTests : IAsyncLifetime
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private Broker? _broker;

    private Broker Broker => _broker!;

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-limits");
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
        _folder.Dispose();
    }

    private static readonly string Now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    // Each is within the default limits and over the lowered one, named with its setting.
    private static readonly (string Body, string Reason)[] OverLoweredLimits =
    [
        (Event("l-id-0123456789-0123456789"), "eventId is 26 characters long; at most 20 are allowed (Orchestrator:Intake:Limits:MaxIdLength)"),
        (Event("l-props", properties: """{"cartId":"k-9","total":84.5,"note":"a note of more than sixty characters, which is all that is allowed"}"""),
            "properties are 105 characters of JSON; at most 60 are allowed (Orchestrator:Intake:Limits:MaxPropertiesBytes)"),
        (Event("l-keys", customer: """{"attributes":{"a":1,"b":2,"c":3}}"""), "customer.attributes has 3 keys; at most 2 are allowed (Orchestrator:Intake:Limits:MaxAttributeKeys)"),
        (Event("l-customer", customer: """{"email":"ann@example.com","firstName":"Annabelle-Josephine","lastName":"van der Berg-Oosterhuis"}"""),
            "customer is 146 characters of JSON; at most 120 are allowed (Orchestrator:Intake:Limits:MaxCustomerBytes"),
    ];

    [Fact]
    public async Task Lowered_limits_are_enforced_on_both_ways_in_with_the_setting_named()
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = Broker.Name;
        settings["Orchestrator__Intake__Limits__MaxIdLength"] = "20";
        settings["Orchestrator__Intake__Limits__MaxPropertiesBytes"] = "60";
        settings["Orchestrator__Intake__Limits__MaxCustomerBytes"] = "120";
        settings["Orchestrator__Intake__Limits__MaxAttributeKeys"] = "2";
        using var worker = await WorkerProcess.StartAsync(_folder.Path, settings);

        var httpReasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (body, reason) in OverLoweredLimits)
        {
            var (status, answer) = await worker.PostEventsAsync(body);
            Assert.Equal(400, status);
            var message = answer.GetProperty("message").GetString()!;
            Assert.Contains(reason, message, StringComparison.Ordinal);
            httpReasons[body] = $"event {answer.GetProperty("eventId").GetString()} rejected: {message}";
        }
        // Within the lowered limits: taken.
        var (goodStatus, good) = await worker.PostEventsAsync(Event("l-http-good"));
        Assert.Equal(200, goodStatus);
        Assert.Equal("processed", good.GetProperty("status").GetString());

        foreach (var (body, _) in OverLoweredLimits)
            await Broker.PublishAsync(body, routingKey: "c-1");
        await Broker.PublishAsync(Event("l-amqp-good"), routingKey: "c-1");
        await Broker.WaitForCountAsync(Broker.ErrorQueue, (uint)OverLoweredLimits.Length, TimeSpan.FromSeconds(30));
        var dead = await Broker.TakeAllAsync(Broker.ErrorQueue);
        Assert.Equal(OverLoweredLimits.Length, dead.Count);
        foreach (var (body, _) in OverLoweredLimits)
            Assert.Equal(httpReasons[body], Assert.Single(dead, m => m.Body == body).Headers["MT-Fault-Message"]);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox")).Contains("l-amqp-good"))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the good AMQP event was not decided within 30s:\n{worker.Output}");
            await Task.Delay(200);
        }
        Assert.Equal(["l-amqp-good", "l-http-good"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox ORDER BY event_id"));
    }

    [Theory]
    [InlineData("MaxIdLength", "0", "Orchestrator:Intake:Limits:MaxIdLength: The field MaxIdLength must be between 1 and 230.")]
    [InlineData("MaxIdLength", "1000", "Orchestrator:Intake:Limits:MaxIdLength: The field MaxIdLength must be between 1 and 230.")]
    [InlineData("MaxAttributeKeys", "-1", "Orchestrator:Intake:Limits:MaxAttributeKeys: The field MaxAttributeKeys must be between 0 and 100000.")]
    public async Task A_limit_out_of_its_range_stops_the_worker_naming_it(string limit, string value, string expected)
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings[$"Orchestrator__Intake__Limits__{limit}"] = value;

        var (exit, output) = await WorkerProcess.RunToExitAsync(_folder.Path, settings, TimeSpan.FromSeconds(60));

        Assert.Equal(3, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    private static string Event(string eventId, string properties = """{"cartId":"k-9","total":84.5}""", string customer = """{"email":"ann@example.com"}""") =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["eventId"] = eventId,
            ["customerId"] = "c-1",
            ["type"] = "cart.abandoned",
            ["occurredAt"] = Now,
            ["properties"] = JsonDocument.Parse(properties).RootElement,
            ["customer"] = JsonDocument.Parse(customer).RootElement,
        });
}
