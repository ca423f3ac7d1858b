using System.Globalization;
using System.Text;
using System.Text.Json;
using MimeKit;
using Orchestrator.Core.Ports;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Http;

/// <summary>
/// The worker's HTTP surface as a backend and a mail client use it: <c>POST /events</c> (the embedded default's way in)
/// and the RFC 8058 one-click unsubscribe link that every email carries.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class HttpEndpointTests : IAsyncLifetime
{
    private const string Secret = "test-unsubscribe-secret";

    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private WorkerProcess? _worker;

    private WorkerProcess Worker => _worker!;

    public async Task InitializeAsync()
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Http__MaxBatch"] = "3";
        settings["Orchestrator__Http__MaxBodyBytes"] = "20000";
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
    }

    public Task DisposeAsync()
    {
        _worker?.Dispose();
        _folder.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Without_the_api_key_nothing_is_taken_in()
    {
        var missing = await Worker.PostEventsAsync(SignUp("e-1", "c-1"), apiKey: null);
        var wrong = await Worker.PostEventsAsync(SignUp("e-1", "c-1"), apiKey: "guess");

        Assert.Equal(401, missing.Status);
        Assert.Equal(401, wrong.Status);
        Assert.Contains("X-Api-Key", wrong.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox"));
    }

    [Fact]
    public async Task One_event_is_committed_before_the_answer_and_a_repeat_is_a_duplicate()
    {
        var first = await Worker.PostEventsAsync(SignUp("e-1", "c-1"));
        // Committed before the response: the database already holds it.
        var inbox = await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox");
        var again = await Worker.PostEventsAsync(SignUp("e-1", "c-1"));

        Assert.Equal(200, first.Status);
        Assert.Equal("processed", first.Body.GetProperty("status").GetString());
        Assert.Equal(1, first.Body.GetProperty("sends").GetInt32());
        Assert.Equal(["e-1"], inbox);
        Assert.Equal(200, again.Status);
        Assert.Equal("duplicate", again.Body.GetProperty("status").GetString());
        Assert.Equal(0, again.Body.GetProperty("outcomes").GetInt32());
    }

    [Fact]
    public async Task Bad_events_are_rejected_with_their_reason_and_the_good_ones_of_the_batch_still_count()
    {
        var single = await Worker.PostEventsAsync("""{"eventId":"e-9","type":"customer.signed_up","occurredAt":"2026-03-02T08:55:00Z"}""");
        var notJson = await Worker.PostEventsAsync("{ this is not json");
        var batch = await Worker.PostEventsAsync($"[{SignUp("e-2", "c-2")}, {{\"eventId\":\"e-3\",\"customerId\":\"c-3\",\"type\":\"customer.signed_up\",\"occurredAt\":\"soon\"}}, {Json("e-4", "c-2", "mystery.happened")}]");
        var tooMany = await Worker.PostEventsAsync($"[{SignUp("e-5", "c-5")}, {SignUp("e-6", "c-6")}, {SignUp("e-7", "c-7")}, {SignUp("e-8", "c-8")}]");

        Assert.Equal(400, single.Status);
        Assert.Equal("rejected", single.Body.GetProperty("status").GetString());
        Assert.Contains("customerId", single.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, notJson.Status);
        Assert.Contains("not valid JSON", notJson.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(207, batch.Status);
        var items = batch.Body.EnumerateArray().ToList();
        Assert.Equal(["processed", "rejected", "processed"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Contains("occurredAt", items[1].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("no journey uses event type 'mystery.happened'; it was recorded, its customer fields updated the profile, nothing else changed", items[2].GetProperty("message").GetString());

        Assert.Equal(413, tooMany.Status);
        Assert.Equal(["e-2", "e-4"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox ORDER BY event_id"));
    }

    [Fact]
    public async Task An_event_dated_beyond_the_clock_skew_is_rejected_and_nothing_of_the_customer_moves()
    {
        // In the cart journey, the reminder wait of an entry 59 minutes ago falls due in a minute.
        var now = DateTimeOffset.UtcNow;
        var cart = $$$"""{"eventId":"e-cart","customerId":"c-30","type":"cart.abandoned","occurredAt":"{{{Iso(now.AddMinutes(-59))}}}","properties":{"cartId":"k-30","total":84.5,"itemCount":3},"customer":{"email":"c30@example.com","firstName":"Ann","timeZone":"Europe/Amsterdam"}}""";
        Assert.Equal(200, (await Worker.PostEventsAsync(cart)).Status);

        // A typo in the year: rejected with the reason, and nothing of the customer moves.
        var typo = await Worker.PostEventsAsync($$$"""{"eventId":"e-2062","customerId":"c-30","type":"cart.emptied","occurredAt":"2062-03-02T08:55:00Z","properties":{"cartId":"k-30"}}""");
        Assert.Equal(400, typo.Status);
        Assert.Contains("occurredAt 2062-03-02T08:55:00Z is", typo.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Intake:MaxClockSkew", typo.Body.GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal(["e-cart"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox WHERE customer_id = 'c-30' ORDER BY event_id"));
        Assert.Equal(["entered", "waiting"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT kind FROM outcomes WHERE customer_id = 'c-30' ORDER BY id"));

        // Four minutes ahead is within the skew (a publisher's clock a little fast): taken.
        var ahead = await Worker.PostEventsAsync($$$"""{"eventId":"e-ahead","customerId":"c-31","type":"page.viewed","occurredAt":"{{{Iso(now.AddMinutes(4))}}}"}""");
        Assert.Equal(200, ahead.Status);
    }

    [Fact]
    public async Task A_bounced_address_gets_no_mail_under_another_customer_id_or_another_case()
    {
        var bounce = $$$"""{"eventId":"e-bounce","customerId":"c-40","type":"email.bounced","occurredAt":"{{{Iso(DateTimeOffset.UtcNow)}}}","properties":{"permanent":true,"email":"old@example.com"}}""";
        Assert.Equal(200, (await Worker.PostEventsAsync(bounce)).Status);

        // Another customer signs up with the same address in other letters: the welcome mail is suppressed.
        var signUp = Json("e-41", "c-41", "customer.signed_up").Replace("c-41@example.com", "OLD@Example.com", StringComparison.Ordinal);
        var answer = await Worker.PostEventsAsync(signUp);

        Assert.Equal(200, answer.Status);
        Assert.Equal(0, answer.Body.GetProperty("sends").GetInt32());
        Assert.Equal(["bounced"], await StorageProbe.ColumnAsync(_folder.Database,
            "SELECT json_extract(detail_json, '$.reason') FROM outcomes WHERE customer_id = 'c-41' AND kind = 'suppressed'"));
        Assert.Equal(["0"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT COUNT(*) FROM sends WHERE customer_id = 'c-41'"));
    }

    [Fact]
    public async Task Text_that_is_not_unicode_gets_400_naming_the_field_and_the_good_events_of_the_batch_count()
    {
        var good = SignUp("e-50", "c-50");
        var broken = Encoding.UTF8.GetBytes(SignUp("e-5X", "c-51")).Select(b => b == (byte)'X' ? (byte)0xFF : b).ToArray();
        var body = Encoding.UTF8.GetBytes("[" + good + ",").Concat(broken).Concat(Encoding.UTF8.GetBytes(","
            + SignUp("e-52", "c-52").Replace("\"c-52\"", "\"c\\ud800\"", StringComparison.Ordinal) + "]")).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Api-Key", WorkerProcess.ApiKey);

        using var response = await Worker.Http.SendAsync(request);
        var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();

        Assert.Equal(207, (int)response.StatusCode);
        Assert.Equal(["processed", "rejected", "rejected"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.StartsWith("eventId holds text that is not valid Unicode", items[1].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("customerId holds text that is not valid Unicode", items[2].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["e-50"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox WHERE event_id LIKE 'e-5%'"));
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_unsubscribe_link_of_a_sent_email_stops_marketing_email_in_one_click()
    {
        Assert.Equal(200, (await Worker.PostEventsAsync(SignUp("e-1", "c-1"))).Status);
        var email = await WaitForEmailAsync();
        var link = email.Headers[HeaderId.ListUnsubscribe]!.Split(',').Select(l => l.Trim().Trim('<', '>')).Single(l => l.StartsWith("http", StringComparison.Ordinal));
        Assert.Equal("List-Unsubscribe=One-Click", email.Headers["List-Unsubscribe-Post"]);

        var page = await Worker.Http.GetAsync(link);
        var forged = await Worker.Http.GetAsync(link.Replace("c=c-1", "c=c-2", StringComparison.Ordinal));
        using var oneClick = await Worker.Http.PostAsync(link, new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(200, (int)page.StatusCode);
        Assert.Contains("<form method=\"post\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(400, (int)forged.StatusCode);
        Assert.Equal(200, (int)oneClick.StatusCode);
        Assert.Equal(["1"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT unsubscribed FROM customers WHERE customer_id = 'c-1'"));

        // A customer who unsubscribed before signing up gets no welcome mail: it is recorded as suppressed.
        var token = UnsubscribeToken.Create("c-2", Secret);
        using var early = await Worker.Http.PostAsync($"/unsubscribe?c=c-2&t={token}", new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));
        var signUp = await Worker.PostEventsAsync(SignUp("e-2", "c-2"));
        Assert.Equal(200, (int)early.StatusCode);
        Assert.Equal(0, signUp.Body.GetProperty("sends").GetInt32());
        Assert.Contains("suppressed", await StorageProbe.ColumnAsync(_folder.Database, "SELECT kind FROM outcomes WHERE customer_id = 'c-2'"));

        // The unsubscribe belongs to the address: a new customer id with c-1's address (in capitals) gets no mail either.
        var sameAddress = await Worker.PostEventsAsync(Json("e-3", "c-1-new", "customer.signed_up").Replace("c-1-new@example.com", "C-1@Example.com", StringComparison.Ordinal));
        Assert.Equal(0, sameAddress.Body.GetProperty("sends").GetInt32());
        Assert.Equal(["unsubscribed"], await StorageProbe.ColumnAsync(_folder.Database,
            "SELECT json_extract(detail_json, '$.reason') FROM outcomes WHERE customer_id = 'c-1-new' AND kind = 'suppressed'"));
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_with_the_setting_named_whether_its_length_is_declared_or_not()
    {
        var big = SignUp("e-big", "c-big").Replace("\"type\"", $"\"padding\":\"{new string('x', 30_000)}\",\"type\"", StringComparison.Ordinal);
        var declared = await Worker.PostEventsAsync(big);
        Assert.Equal(413, declared.Status);
        Assert.Contains("Orchestrator:Http:MaxBodyBytes", declared.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Chunked, without Content-Length: cut off while it is read.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new PushStreamContent(big) };
        request.Headers.Add("X-Api-Key", WorkerProcess.ApiKey);
        using var chunked = await Worker.Http.SendAsync(request);
        Assert.Equal(413, (int)chunked.StatusCode);
        Assert.Contains("Orchestrator:Http:MaxBodyBytes", await chunked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox"));
    }

    /// <summary>A body sent in chunks, so the request has no Content-Length.</summary>
    private sealed class PushStreamContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    [Fact]
    public async Task Metrics_count_events_by_result_decisions_and_sends_for_prometheus()
    {
        Assert.Equal(200, (await Worker.PostEventsAsync(SignUp("e-1", "c-1"))).Status);
        Assert.Equal(200, (await Worker.PostEventsAsync(SignUp("e-1", "c-1"))).Status); // duplicate
        Assert.Equal(400, (await Worker.PostEventsAsync("""{"eventId":"e-2","customerId":"c-2"}""")).Status);
        await WaitForEmailAsync();

        // The exporter collects on scrape; the send is counted once the dispatcher recorded it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string metrics;
        while (!(metrics = await Worker.Http.GetStringAsync("/metrics")).Contains("outcome=\"sent\"", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no send counted:\n" + metrics);
            await Task.Delay(200);
        }
        Assert.Matches(@"orchestrator_events_total\{[^}]*result=""processed""[^}]*\} 1\b", metrics);
        Assert.Matches(@"orchestrator_events_total\{[^}]*result=""duplicate""[^}]*\} 1\b", metrics);
        Assert.Matches(@"orchestrator_events_total\{[^}]*result=""rejected""[^}]*\} 1\b", metrics);
        Assert.Matches(@"orchestrator_decisions_total\{[^}]*cause=""event""[^}]*\} 1\b", metrics);
        Assert.Matches(@"orchestrator_sends_total\{[^}]*outcome=""sent""[^}]*\} 1\b", metrics);
    }

    [Fact]
    public async Task An_array_is_decided_in_one_commit_and_its_results_keep_the_arrays_order()
    {
        // At most 3 per request here (MaxBatch): the second sign-up of c-1 in the same array is a duplicate of the first.
        var body = $"[{SignUp("e-1", "c-1")},{{\"eventId\":\"e-bad\"}},{SignUp("e-1", "c-1")}]";
        var answer = await Worker.PostEventsAsync(body);

        Assert.Equal(207, answer.Status);
        Assert.Equal(["processed", "rejected", "duplicate"], answer.Body.EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.Equal([0, 1, 2], answer.Body.EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        // One commit for the two events read, none for the one rejected at the door.
        var metrics = await Worker.Http.GetStringAsync("/metrics");
        Assert.Matches(@"orchestrator_commit_batch_count(\{[^}]*\})? 1\b", metrics);
        Assert.Matches(@"orchestrator_commit_batch_sum(\{[^}]*\})? 2\b", metrics);
        // Its commit timed once: how long the database took is what a partition deciding one event at a time waits per event.
        Assert.Matches(@"orchestrator_commit_duration_seconds_count(\{[^}]*\})? 1\b", metrics);
    }

    [Fact]
    public async Task Forged_altered_truncated_and_empty_tokens_change_nothing_and_a_replayed_one_changes_nothing_twice()
    {
        var token = UnsubscribeToken.Create("c-9", Secret);
        var altered = (token[0] == 'a' ? "b" : "a") + token[1..];
        var cases = new (string Customer, string? Token)[]
        {
            ("c-9", UnsubscribeToken.Create("c-9", "a-guessed-secret")),   // forged with another secret
            ("c-10", token),                                                 // c-9's token for another customer
            ("c-9", altered),
            ("c-9", token[..^1]),                                            // truncated
            ("c-9", token + "0"),                                            // lengthened
            ("c-9", token.ToUpperInvariant()),
            ("c-9", ""),
            ("c-9", null),
        };
        foreach (var (customer, t) in cases)
        {
            var query = t is null ? $"/unsubscribe?c={customer}" : $"/unsubscribe?c={customer}&t={t}";
            using var post = await Worker.Http.PostAsync(query, new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));
            using var get = await Worker.Http.GetAsync(query);
            Assert.Equal(400, (int)post.StatusCode);
            Assert.Equal(400, (int)get.StatusCode);
        }
        // Nothing was recorded for any of them: no event, no customer row created for an id that never existed.
        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox"));
        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT customer_id FROM customers"));

        // The real token, used twice: unsubscribed once; the second changes no state and adds no suppression.
        for (var i = 0; i < 2; i++)
        {
            using var post = await Worker.Http.PostAsync($"/unsubscribe?c=c-9&t={token}", new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));
            Assert.Equal(200, (int)post.StatusCode);
        }
        Assert.Equal(["1"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT unsubscribed FROM customers WHERE customer_id = 'c-9'"));
        Assert.Empty(await StorageProbe.ColumnAsync(_folder.Database, "SELECT kind FROM outcomes WHERE customer_id = 'c-9'"));
    }

    private async Task<MimeMessage> WaitForEmailAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var files = Directory.Exists(_folder.Eml) ? Directory.GetFiles(_folder.Eml, "*.eml") : [];
            if (files.Length > 0)
                return await MimeMessage.LoadAsync(files[0]);
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("no email within 30s:\n" + Worker.Output);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Survey_answers_are_checked_stored_with_their_send_and_every_event_is_logged()
    {
        var signUp = await Worker.PostEventsAsync(SignUp("e-20", "c-20"));
        Assert.Equal(1, signUp.Body.GetProperty("sends").GetInt32());
        var sendKey = (await StorageProbe.ColumnAsync(_folder.Database, "SELECT send_key FROM sends WHERE customer_id = 'c-20'")).Single();
        string Answer(string eventId, string properties) =>
            $$"""{"eventId":"{{eventId}}","customerId":"c-20","type":"feedback.submitted","occurredAt":"{{DateTimeOffset.UtcNow.AddSeconds(1):yyyy-MM-dd'T'HH:mm:ss'Z'}}","properties":{{properties}}}""";

        var outOfRange = await Worker.PostEventsAsync(Answer("f-1", """{"metric":"csat","score":9}"""));
        var unknown = await Worker.PostEventsAsync(Answer("f-2", """{"metric":"stars","score":4}"""));
        var good = await Worker.PostEventsAsync(Answer("f-3", $$"""{"metric":"csat","score":4,"sendKey":"{{sendKey}}","comment":"nice"}"""));

        Assert.Equal(400, outOfRange.Status);
        Assert.Contains("score 9 is out of range for csat (1-5)", outOfRange.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, unknown.Status);
        Assert.Contains("unknown metric 'stars'", unknown.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, good.Status);
        Assert.Null(good.Body.GetProperty("message").GetString());
        Assert.Equal([$"touchpoint welcome welcome-mail {sendKey}"],
            await StorageProbe.ColumnAsync(_folder.Database, "SELECT level || ' ' || journey_id || ' ' || step_id || ' ' || send_key FROM feedback"));
        // The event log holds each accepted event with its payload; rejected ones are not there.
        Assert.Equal(["e-20 customer.signed_up", "f-3 feedback.submitted"],
            await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id || ' ' || event_type FROM events ORDER BY received_at"));
        Assert.Contains("\"comment\":\"nice\"", (await StorageProbe.ColumnAsync(_folder.Database, "SELECT properties_json FROM events WHERE event_id = 'f-3'")).Single(), StringComparison.Ordinal);
    }

    private static string SignUp(string eventId, string customerId) => Json(eventId, customerId, "customer.signed_up");

    /// <summary>An event happening now, for a customer whose local time is inside the samples' send windows
    /// (09:00 to 20:00), so the welcome mail goes out at once.</summary>
    private static string Json(string eventId, string customerId, string type) => JsonSerializer.Serialize(new
    {
        eventId,
        customerId,
        type,
        occurredAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        properties = new { source = "test" },
        customer = new { email = $"{customerId}@example.com", firstName = "Ann", timeZone = DaytimeZone() },
    });

    private static readonly string[] Zones = ["Europe/Amsterdam", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "UTC"];

    private static string DaytimeZone() =>
        Zones.First(zone => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(zone)).Hour is >= 9 and < 20);
}
