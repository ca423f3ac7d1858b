using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email.Tests;

public sealed class PickupFolderEmailSenderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orchestrator-pickup-" + Guid.NewGuid().ToString("N"), "outbox-eml");

    public void Dispose()
    {
        var root = Path.GetDirectoryName(_folder)!;
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task The_unsubscribe_url_of_a_template_becomes_the_signed_link_of_the_header_in_html_and_text()
    {
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));
        var email = TestEmails.Create("k1009", text: $"Bye: {Core.Engine.UnsubscribeLink.Placeholder}") with
        {
            Html = $"""<p><a href="{Core.Engine.UnsubscribeLink.Placeholder}">Unsubscribe</a></p>""",
        };

        Assert.Equal(SendResult.Ok, await sender.SendAsync(email, CancellationToken.None));

        var message = MimeMessage.Load(Path.Combine(_folder, "k1009.eml"));
        var header = message.Headers["List-Unsubscribe"]!.Split(',', StringSplitOptions.TrimEntries)[0].Trim('<', '>');
        Assert.Contains($"""<a href="{System.Net.WebUtility.HtmlEncode(header)}">Unsubscribe</a>""", message.HtmlBody!, StringComparison.Ordinal);
        Assert.Equal($"Bye: {header}", message.TextBody!.Trim());
        Assert.DoesNotContain(Core.Engine.UnsubscribeLink.Placeholder, message.HtmlBody + message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_a_parseable_eml_named_after_the_send_key_with_the_same_headers()
    {
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));

        var result = await sender.SendAsync(TestEmails.Create("k1001"), CancellationToken.None);

        Assert.Equal(SendResult.Ok, result);
        Assert.Equal([Path.Combine(_folder, "k1001.eml")], Directory.GetFiles(_folder)); // no temporary file left
        var message = MimeMessage.Load(Path.Combine(_folder, "k1001.eml"));
        Assert.Equal("You left something behind, Ada", message.Subject);
        Assert.Equal("shop@example.com", message.From.Mailboxes.Single().Address);
        Assert.Equal("ada@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("k1001@mail.test", message.MessageId);
        Assert.Equal("k1001", message.Headers[EmailMessageFactory.SendKeyHeader]);
        SmtpEmailSenderTests.AssertUnsubscribeHeaders(message, "cust 42/ä");
        Assert.Equal("Hello Ada, your cart misses you.", message.TextBody!.Trim());
        Assert.Contains("<h1>Hello Ada</h1>", message.HtmlBody!, StringComparison.Ordinal);
        // The wire format: CRLF line ends and 7-bit only, like the bytes SMTP carries.
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_folder, "k1001.eml"));
        Assert.All(bytes, b => Assert.True(b < 128));
        Assert.DoesNotContain("\n", System.Text.Encoding.ASCII.GetString(bytes).Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_what_the_SMTP_server_receives()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var server = await SmtpTestServer.StartAsync();
        var options = TestEmails.Options(server.Port, o => o.PickupFolder = _folder);
        await using var smtp = TestEmails.SmtpSender(options, time);
        var pickup = TestEmails.PickupSender(options, time);
        var email = TestEmails.Create("k1002", text: null);

        Assert.Equal(SendResult.Ok, await smtp.SendAsync(email, CancellationToken.None));
        Assert.Equal(SendResult.Ok, await pickup.SendAsync(email, CancellationToken.None));

        var received = server.LoadMessage(0);
        var written = MimeMessage.Load(Path.Combine(_folder, "k1002.eml"));
        // Identical but for the multipart boundary, which is random per message.
        static IEnumerable<string> Headers(MimeMessage m) => m.Headers.Where(h => h.Field != "Content-Type").Select(h => $"{h.Field}: {h.Value}");
        Assert.Equal(Headers(received), Headers(written));
        Assert.Equal(received.TextBody, written.TextBody);
        Assert.Equal(received.HtmlBody, written.HtmlBody);
        Assert.Equal(
            received.BodyParts.Select(p => $"{p.ContentType.MimeType} {p.Headers[HeaderId.ContentTransferEncoding]}"),
            written.BodyParts.Select(p => $"{p.ContentType.MimeType} {p.Headers[HeaderId.ContentTransferEncoding]}"));
    }

    [Fact]
    public async Task Writing_the_same_send_key_again_replaces_the_file()
    {
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));

        await sender.SendAsync(TestEmails.Create("k1003"), CancellationToken.None);
        await sender.SendAsync(TestEmails.Create("k1003"), CancellationToken.None);

        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task An_invalid_recipient_is_a_permanent_failure()
    {
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));

        var result = await sender.SendAsync(TestEmails.Create("k1004", to: "nobody"), CancellationToken.None);

        Assert.Equal(SendStatus.PermanentFailure, result.Status);
        Assert.False(Directory.Exists(_folder) && Directory.GetFiles(_folder).Length > 0);
    }

    [Fact]
    public async Task A_send_without_a_From_is_refused_not_given_a_second_default()
    {
        // The engine applies SendingOptions.DefaultFrom; a sender that supplied its own would be a second copy of that rule.
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));

        var result = await sender.SendAsync(TestEmails.Create("k1006") with { From = null }, CancellationToken.None);

        Assert.Equal(SendStatus.PermanentFailure, result.Status);
        Assert.Contains("'k1006' has no From", result.Reply, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_folder) && Directory.GetFiles(_folder).Length > 0);
    }

    [Fact]
    public async Task A_folder_that_cannot_be_written_is_a_transient_failure()
    {
        // A file where the folder should be: creating the folder fails, as on a full or read-only disk.
        Directory.CreateDirectory(Path.GetDirectoryName(_folder)!);
        await File.WriteAllTextAsync(_folder, "not a folder");
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));

        var result = await sender.SendAsync(TestEmails.Create("k1005"), CancellationToken.None);

        Assert.Equal(SendStatus.TransientFailure, result.Status);
        Assert.Contains(_folder, result.Reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_send_key_that_is_not_a_file_name_is_refused()
    {
        var sender = TestEmails.PickupSender(TestEmails.Options(configure: o => o.PickupFolder = _folder));

        var result = await sender.SendAsync(TestEmails.Create("../escape"), CancellationToken.None);

        Assert.Equal(SendStatus.PermanentFailure, result.Status);
    }
}
