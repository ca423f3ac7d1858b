using System.Web;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email.Tests;

/// <summary>Against a real SMTP server (aiosmtpd), over real sockets.</summary>
public sealed class SmtpEmailSenderTests
{
    [Fact]
    public async Task Delivers_the_message_with_its_headers_and_both_parts()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port));

        var result = await sender.SendAsync(TestEmails.Create("k0001"), CancellationToken.None);

        Assert.Equal(SendResult.Ok, result);
        Assert.Single(server.MessageFiles);
        Assert.Equal(["ada@example.com"], server.EnvelopeRecipients(0));
        var message = server.LoadMessage(0);
        Assert.Equal("You left something behind, Ada", message.Subject);
        Assert.Equal("\"Shop\" <shop@example.com>", message.From.ToString());
        Assert.Equal("ada@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("k0001@mail.test", message.MessageId);
        Assert.Equal("cart-abandonment", message.Headers[EmailMessageFactory.JourneyHeader]);
        Assert.Equal("reminder", message.Headers[EmailMessageFactory.StepHeader]);
        Assert.Equal("k0001", message.Headers[EmailMessageFactory.SendKeyHeader]);
        AssertUnsubscribeHeaders(message, "cust 42/ä");

        Assert.Equal("multipart/alternative", message.Body!.ContentType.MimeType);
        Assert.Equal("Hello Ada, your cart misses you.", message.TextBody!.Trim());
        Assert.Contains("<h1>Hello Ada</h1>", message.HtmlBody!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Derives_a_text_part_when_the_template_has_none()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port));

        Assert.Equal(SendResult.Ok, await sender.SendAsync(TestEmails.Create("k0002", text: null), CancellationToken.None));

        var message = server.LoadMessage(0);
        Assert.Equal("multipart/alternative", message.Body!.ContentType.MimeType);
        Assert.Equal("Hello Ada\n\nYour cart misses you. Back to cart (https://shop.example/cart)", message.TextBody!.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Reuses_pooled_connections_across_messages()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port, o => o.PoolSize = 3));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            sender.SendAsync(TestEmails.Create($"pool{i:D2}", to: $"reader{i}@example.com"), CancellationToken.None)));
        for (var i = 0; i < 10; i++)
            Assert.Equal(SendResult.Ok, await sender.SendAsync(TestEmails.Create($"seq{i:D2}"), CancellationToken.None));

        Assert.All(results, r => Assert.Equal(SendResult.Ok, r));
        Assert.Equal(30, server.MessageFiles.Count);
        Assert.InRange(server.Connections, 1, 3);
    }

    [Fact]
    public async Task A_550_is_a_permanent_failure_with_the_reply_and_the_connection_stays_usable()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port, o => o.PoolSize = 1));

        var refused = await sender.SendAsync(TestEmails.Create("k0003", to: "reject-permanent@example.com"), CancellationToken.None);
        var next = await sender.SendAsync(TestEmails.Create("k0004"), CancellationToken.None);

        Assert.Equal(SendStatus.PermanentFailure, refused.Status);
        Assert.Equal("550 5.1.1 <reject-permanent@example.com>: Recipient address rejected: User unknown", refused.Reply);
        Assert.Equal(SendResult.Ok, next);
        Assert.Single(server.MessageFiles);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_451_is_a_transient_failure_with_the_reply()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port));

        var result = await sender.SendAsync(TestEmails.Create("k0005", to: "reject-transient@example.com"), CancellationToken.None);

        Assert.Equal(SendStatus.TransientFailure, result.Status);
        Assert.Equal("451 4.7.1 <reject-transient@example.com>: Recipient address rejected: Try again later", result.Reply);
        Assert.Empty(server.MessageFiles);
    }

    [Fact]
    public async Task A_server_that_is_down_is_a_transient_failure()
    {
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(SmtpTestServer.FreePort()));

        var result = await sender.SendAsync(TestEmails.Create("k0006"), CancellationToken.None);

        Assert.Equal(SendStatus.TransientFailure, result.Status);
        Assert.Contains("ConnectionRefused", result.Reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_recipient_address_is_a_permanent_failure()
    {
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(SmtpTestServer.FreePort()));

        var result = await sender.SendAsync(TestEmails.Create("k0007", to: "not an address"), CancellationToken.None);

        Assert.Equal(SendStatus.PermanentFailure, result.Status);
        Assert.StartsWith("invalid address", result.Reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pooled_connection_the_server_dropped_is_replaced()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = SmtpTestServer.FreePort();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(port, o => o.PoolSize = 1), time);
        await using (var first = await SmtpTestServer.StartAsync(port))
            Assert.Equal(SendResult.Ok, await sender.SendAsync(TestEmails.Create("k0008"), CancellationToken.None));

        await using var second = await SmtpTestServer.StartAsync(port);
        time.Advance(TimeSpan.FromMinutes(1)); // idle long enough to be checked with NOOP before reuse
        var result = await sender.SendAsync(TestEmails.Create("k0009"), CancellationToken.None);

        Assert.Equal(SendResult.Ok, result);
        Assert.Equal("k0009@mail.test", second.LoadMessage(0).MessageId);
    }

    [Fact]
    public async Task Authenticates_when_a_username_is_configured()
    {
        await using var server = await SmtpTestServer.StartAsync(auth: "mailer:s3cret");
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port, o => (o.Username, o.Password) = ("mailer", "s3cret")));
        await using var wrongPassword = TestEmails.SmtpSender(TestEmails.Options(server.Port, o => (o.Username, o.Password) = ("mailer", "wrong")));
        await using var anonymous = TestEmails.SmtpSender(TestEmails.Options(server.Port));

        var ok = await sender.SendAsync(TestEmails.Create("k0010"), CancellationToken.None);
        var refused = await wrongPassword.SendAsync(TestEmails.Create("k0011"), CancellationToken.None);
        var unauthenticated = await anonymous.SendAsync(TestEmails.Create("k0012"), CancellationToken.None);

        Assert.Equal(SendResult.Ok, ok);
        // Credentials are configuration, not the email's fault: retried rather than failing every email for good.
        Assert.Equal(SendStatus.TransientFailure, refused.Status);
        Assert.Contains("Authentication", refused.Reply, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(SendStatus.TransientFailure, unauthenticated.Status);
        Assert.Single(server.MessageFiles);
    }

    [Fact]
    public async Task Requiring_StartTls_from_a_server_without_it_is_a_transient_failure()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await using var sender = TestEmails.SmtpSender(TestEmails.Options(server.Port, o => o.Security = SmtpSecurity.StartTls));

        var result = await sender.SendAsync(TestEmails.Create("k0013"), CancellationToken.None);

        Assert.Equal(SendStatus.TransientFailure, result.Status);
        Assert.Contains("STARTTLS", result.Reply, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(server.MessageFiles);
    }

    internal static void AssertUnsubscribeHeaders(MimeMessage message, string customerId)
    {
        var header = message.Headers["List-Unsubscribe"]!;
        var links = header.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(2, links.Length);
        Assert.StartsWith("<https://shop.example/unsubscribe?c=", links[0], StringComparison.Ordinal);
        var url = new Uri(links[0].Trim('<', '>'));
        var query = HttpUtility.ParseQueryString(url.Query);
        Assert.Equal(customerId, query["c"]);
        Assert.True(UnsubscribeToken.IsValid(customerId, query["t"]!, TestEmails.Secret));
        Assert.False(UnsubscribeToken.IsValid("someone-else", query["t"]!, TestEmails.Secret));
        Assert.Equal($"<mailto:unsubscribe@shop.example?subject=unsubscribe-{Uri.EscapeDataString(customerId)}>", links[1]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
    }
}
