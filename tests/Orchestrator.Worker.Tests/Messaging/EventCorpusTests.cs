using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orchestrator.Worker.Tests.Support;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// The bad-input corpus (<c>tests/corpus/events.jsonl</c>, written by <c>tests/corpus/generate.py</c>) through both ways
/// in of one real worker process on a real RabbitMQ, each case followed every few cases by a good event: every bad case
/// gets 400 with its reason over HTTP and lands in the error queue with the same reason over AMQP; the valid but odd ones
/// get their documented answer; nothing answers 500, the worker neither dies nor stalls, and every good event is decided.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class EventCorpusTests : IAsyncLifetime
{
    private const int GoodEventEvery = 5;

    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private readonly ITestOutputHelper _output;
    private Broker? _broker;
    private WorkerProcess? _worker;

    public EventCorpusTests(ITestOutputHelper output) => _output = output;

    private Broker Broker => _broker!;
    private WorkerProcess Worker => _worker!;

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-corpus");
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = Broker.Name;
        settings["Orchestrator__Messaging__Partitions"] = "2";
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
    public async Task Every_case_of_the_corpus_gets_its_answer_over_HTTP_and_AMQP_and_every_good_event_around_them_is_decided()
    {
        var cases = CorpusCase.ReadAll();
        Assert.True(cases.Count >= 200, $"the corpus has {cases.Count} cases, fewer than 200");
        var now = DateTimeOffset.UtcNow;
        var problems = new List<string>();

        // HTTP, one request per case, in the corpus's order.
        var http = new Run("h", now);
        var httpReasons = new Dictionary<string, string>(StringComparer.Ordinal);
        var (http400, httpProcessed) = (0, 0);
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var (status, answer) = await PostAsync(http.Body(c));
            var expectedStatus = c.Http ?? (c.Expect == "rejected" ? 400 : 200);
            if (status != expectedStatus)
            {
                problems.Add($"HTTP {c.Name}: {status} instead of {expectedStatus}: {answer}");
                continue;
            }
            var (itemStatus, message) = Answer(answer);
            if (c.Expect == "rejected")
            {
                http400++;
                if (!Contains(message, c.Reason))
                    problems.Add($"HTTP {c.Name}: reason '{message}' does not say '{c.Reason}'");
                // A single event refused by the reader: the error queue carries this reason word for word.
                if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() == "rejected")
                    httpReasons[c.Name] = http.Neutral($"event {(answer.GetProperty("eventId") is { ValueKind: JsonValueKind.String } id ? id.GetString() : "(no eventId)")} rejected: {message}");
            }
            else
            {
                httpProcessed++;
                if (itemStatus != c.Expect)
                    problems.Add($"HTTP {c.Name}: '{itemStatus}' instead of '{c.Expect}': {answer}");
                if (c.Reason is not null && !Contains(message, c.Reason))
                    problems.Add($"HTTP {c.Name}: answer '{message}' does not say '{c.Reason}'");
            }
            if (i % GoodEventEvery == 0)
            {
                var (goodStatus, goodAnswer) = await PostAsync(Encoding.UTF8.GetBytes(http.GoodEvent(i)));
                if (goodStatus != 200 || Answer(goodAnswer).Status != "processed")
                    problems.Add($"HTTP good event after {c.Name}: {goodStatus} {goodAnswer}");
            }
        }

        // AMQP: every case published, spread over both partitions, the same good events in between.
        var amqp = new Run("a", now);
        await using (var publisher = await Publisher.ConnectAsync(Broker.Name))
        {
            for (var i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                await publisher.PublishAsync(amqp.Body(c), amqp.Fill(c.Customer ?? c.Name), c.Name);
                if (i % GoodEventEvery == 0)
                    await publisher.PublishAsync(Encoding.UTF8.GetBytes(amqp.GoodEvent(i)), amqp.GoodCustomer(i), $"good-{i}");
            }
        }
        var rejected = cases.Where(c => c.Expect == "rejected").ToList();
        var taken = cases.Where(c => c.Expect == "processed").Select(c => amqp.EventIdOf(c)).ToList();
        var goodIds = Enumerable.Range(0, cases.Count).Where(i => i % GoodEventEvery == 0).Select(amqp.GoodEventId).ToList();
        // No stall: the error queue fills and every event to be taken is in the inbox within the budget.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        HashSet<string> inbox;
        while (true)
        {
            inbox = [.. await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox")];
            var errorCount = await Broker.CountAsync(Broker.ErrorQueue);
            if (errorCount >= rejected.Count && taken.Concat(goodIds).All(inbox.Contains))
                break;
            if (DateTime.UtcNow > deadline || Worker.HasExited)
            {
                problems.Add($"AMQP stalled: {errorCount} of {rejected.Count} in the error queue; not decided: "
                    + string.Join(", ", taken.Concat(goodIds).Where(id => !inbox.Contains(id)).Take(20)));
                break;
            }
            await Task.Delay(250);
        }
        var dead = await Broker.TakeAllAsync(Broker.ErrorQueue);
        var amqpErrorQueue = 0;
        foreach (var c in rejected)
        {
            var found = dead.Where(m => m.Headers.TryGetValue(Publisher.CaseHeader, out var name) && name == c.Name).ToList();
            if (found.Count != 1)
            {
                problems.Add($"AMQP {c.Name}: {found.Count} messages in the error queue instead of 1");
                continue;
            }
            amqpErrorQueue++;
            var reason = found[0].Headers.GetValueOrDefault("MT-Fault-Message") ?? "";
            if (!Contains(reason, c.AmqpReason ?? c.Reason))
                problems.Add($"AMQP {c.Name}: reason '{Shorten(reason)}' does not say '{c.AmqpReason ?? c.Reason}'");
            if (c.AmqpReason is null && httpReasons.TryGetValue(c.Name, out var httpReason) && amqp.Neutral(reason) != httpReason)
                problems.Add($"AMQP {c.Name}: reason '{Shorten(reason)}' is not HTTP's '{Shorten(httpReason)}'");
        }
        foreach (var m in dead.Where(m => !rejected.Any(c => m.Headers.GetValueOrDefault(Publisher.CaseHeader) == c.Name)))
            problems.Add($"AMQP {m.Headers.GetValueOrDefault(Publisher.CaseHeader)}: in the error queue, but it is to be taken: {m.Headers.GetValueOrDefault("MT-Fault-Message")}");

        // Both ways: the outcomes the corpus names, and every good event decided (entered the cart journey, waits 1h).
        var outcomes = await OutcomesByCustomerAsync();
        var decided = 0;
        foreach (var run in new[] { http, amqp })
        {
            foreach (var c in cases.Where(c => c.Outcomes is not null))
            {
                var kinds = outcomes.GetValueOrDefault(run.Fill(c.Customer!)) ?? [];
                if (!kinds.SequenceEqual(c.Outcomes!))
                    problems.Add($"{run.Name} {c.Name}: outcomes [{string.Join(", ", kinds)}] instead of [{string.Join(", ", c.Outcomes!)}]");
            }
            foreach (var i in Enumerable.Range(0, cases.Count).Where(i => i % GoodEventEvery == 0))
            {
                var kinds = outcomes.GetValueOrDefault(run.GoodCustomer(i)) ?? [];
                if (inbox.Contains(run.GoodEventId(i)) && kinds.SequenceEqual(["entered", "waiting"]))
                    decided++;
                else
                    problems.Add($"{run.Name} good event {i}: outcomes [{string.Join(", ", kinds)}]");
            }
        }
        Assert.Equal(0u, await Broker.CountAsync(Broker.Name + ".0") + await Broker.CountAsync(Broker.Name + ".1"));

        var summary = $"corpus: {cases.Count} cases ({rejected.Count} bad, {cases.Count - rejected.Count} valid but odd); "
            + $"HTTP {http400} x 400 with reason, {httpProcessed} taken; AMQP {amqpErrorQueue} in the error queue with reason; "
            + $"{decided} of {goodIds.Count * 2} good events decided; worker {(Worker.HasExited ? "DIED" : "alive")}";
        _output.WriteLine(summary);
        Console.WriteLine(summary);
        if (problems.Count > 0)
            _output.WriteLine(Worker.Output);
        Assert.False(Worker.HasExited, Worker.Output);
        Assert.DoesNotContain("Unhandled exception", Worker.Output, StringComparison.Ordinal);
        Assert.True(problems.Count == 0, $"{problems.Count} problems:\n" + string.Join("\n", problems.Select(Shorten)));
    }

    private static bool Contains(string? text, string? piece) => piece is null || (text?.Contains(piece, StringComparison.Ordinal) ?? false);

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + $"… ({text.Length:N0} characters)";

    private async Task<(int Status, JsonElement Body)> PostAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Api-Key", WorkerProcess.ApiKey);
        using var response = await Worker.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement parsed;
        try
        {
            parsed = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            parsed = JsonDocument.Parse(JsonSerializer.Serialize(text)).RootElement.Clone();
        }
        return ((int)response.StatusCode, parsed);
    }

    /// <summary>An answer's status and message: one event's, a batch's (its items' messages), or a problem's detail.</summary>
    private static (string? Status, string? Message) Answer(JsonElement answer) => answer.ValueKind switch
    {
        JsonValueKind.Object when answer.TryGetProperty("detail", out var detail) => ("problem", detail.GetString()),
        JsonValueKind.Object => (answer.TryGetProperty("status", out var s) ? s.ToString() : null, answer.TryGetProperty("message", out var m) ? m.GetString() : null),
        JsonValueKind.Array => ("batch", string.Join(" | ", answer.EnumerateArray().Select(a => Answer(a).Message))),
        _ => (null, answer.ToString()),
    };

    private async Task<Dictionary<string, List<string>>> OutcomesByCustomerAsync()
    {
        var byCustomer = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var connection = new SqliteConnection($"Data Source={_folder.Database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT customer_id, kind FROM outcomes ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var customer = reader.GetString(0);
            if (!byCustomer.TryGetValue(customer, out var kinds))
                byCustomer[customer] = kinds = [];
            kinds.Add(reader.GetString(1));
        }
        return byCustomer;
    }

    /// <summary>One way in's copy of the corpus: its run tag in every id, the time of the run.</summary>
    private sealed class Run(string tag, DateTimeOffset now)
    {
        private readonly string _tag = $"{tag}{Guid.NewGuid():N}"[..9];

        public string Name { get; } = tag == "h" ? "HTTP" : "AMQP";

        private readonly (string Placeholder, string Value)[] _values =
        [
            ("@NOW@", Iso(now)),
            ("@EARLIER@", Iso(now.AddHours(-2))),
            ("@LATER@", Iso(now.AddHours(1))),
        ];

        private static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        public string Fill(string text) => _values.Aggregate(text.Replace("@RUN@", _tag, StringComparison.Ordinal), (t, v) => t.Replace(v.Placeholder, v.Value, StringComparison.Ordinal));

        /// <summary>The case's bytes with the placeholders filled in, byte for byte (the rest may be anything).</summary>
        public byte[] Body(CorpusCase c)
        {
            var body = c.Body;
            foreach (var (placeholder, value) in _values.Prepend(("@RUN@", _tag)))
                body = Replace(body, Encoding.ASCII.GetBytes(placeholder), Encoding.ASCII.GetBytes(value));
            return body;
        }

        /// <summary>A reason with this run's tag and the worker's clock taken out, to compare the two ways in.</summary>
        public string Neutral(string reason) =>
            System.Text.RegularExpressions.Regex.Replace(reason.Replace(_tag, "@RUN@", StringComparison.Ordinal), @"the worker's clock \([^)]*\)", "the worker's clock (now)");

        public string EventIdOf(CorpusCase c)
        {
            var text = Encoding.UTF8.GetString(Body(c)).TrimStart('\uFEFF');
            return JsonDocument.Parse(text, Core.Processing.EventJson.DocumentOptions).RootElement.GetProperty("eventId").GetString()!;
        }

        public string GoodEventId(int i) => $"good-{_tag}-{i}";

        public string GoodCustomer(int i) => $"good-cust-{_tag}-{i}";

        public string GoodEvent(int i) => JsonSerializer.Serialize(new
        {
            eventId = GoodEventId(i),
            customerId = GoodCustomer(i),
            type = "cart.abandoned",
            occurredAt = Iso(now),
            properties = new { cartId = $"k-good-{i}", total = 84.5, itemCount = 3 },
            customer = new { email = "good@example.com", firstName = "Gus" },
        });

        private static byte[] Replace(byte[] body, byte[] placeholder, byte[] value)
        {
            var at = body.AsSpan().IndexOf(placeholder);
            if (at < 0)
                return body;
            var result = new List<byte>(body.Length + 32);
            var rest = body.AsSpan();
            while ((at = rest.IndexOf(placeholder)) >= 0)
            {
                result.AddRange(rest[..at]);
                result.AddRange(value);
                rest = rest[(at + placeholder.Length)..];
            }
            result.AddRange(rest);
            return [.. result];
        }
    }

    /// <summary>A plain AMQP publisher of raw bytes, each message marked with its case (the error queue keeps the header).</summary>
    private sealed class Publisher(IConnection connection, IChannel channel, string exchange) : IAsyncDisposable
    {
        public const string CaseHeader = "x-corpus-case";

        public static async Task<Publisher> ConnectAsync(string exchange)
        {
            var connection = await new ConnectionFactory { HostName = "127.0.0.1" }.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            return new Publisher(connection, channel, exchange);
        }

        public async Task PublishAsync(byte[] body, string routingKey, string caseName)
        {
            var properties = new BasicProperties
            {
                ContentType = "application/json",
                Persistent = true,
                Headers = new Dictionary<string, object?> { [CaseHeader] = caseName },
            };
            await channel.BasicPublishAsync(exchange, routingKey.Length > 255 ? routingKey[..255] : routingKey, mandatory: true, properties, body);
        }

        public async ValueTask DisposeAsync()
        {
            await channel.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}

/// <summary>One line of <c>tests/corpus/events.jsonl</c> (its fields are described in <c>tests/corpus/generate.py</c>).</summary>
internal sealed record CorpusCase(string Name, byte[] Body, string Expect, string? Reason, int? Http, string? AmqpReason, string? Customer, IReadOnlyList<string>? Outcomes)
{
    public static IReadOnlyList<CorpusCase> ReadAll() =>
        File.ReadLines(Path.Combine(RepoPaths.Root, "tests", "corpus", "events.jsonl")).Where(l => l.Length > 0).Select(line =>
        {
            var c = JsonDocument.Parse(line).RootElement;
            string? Text(string name) => c.TryGetProperty(name, out var v) ? v.GetString() : null;
            var body = c.TryGetProperty("base64", out var b) ? Convert.FromBase64String(b.GetString()!) : Encoding.UTF8.GetBytes(Text("text")!);
            return new CorpusCase(Text("name")!, body, Text("expect")!, Text("reason"), c.TryGetProperty("http", out var h) ? h.GetInt32() : null,
                Text("amqp_reason"), Text("customer"), c.TryGetProperty("outcomes", out var o) ? [.. o.EnumerateArray().Select(k => k.GetString()!)] : null);
        }).ToList();
}
