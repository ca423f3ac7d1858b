using System.Globalization;
using MimeKit;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email;

/// <summary>Turns an <see cref="EmailToSend"/> into the MIME message that SMTP sends and the pickup folder stores.</summary>
internal sealed class EmailMessageFactory(EmailOptions options, TimeProvider time)
{
    private readonly DkimSigning? _dkim = DkimSigning.For(options);

    public const string JourneyHeader = "X-Orchestrator-Journey";
    public const string StepHeader = "X-Orchestrator-Step";
    public const string SendKeyHeader = "X-Orchestrator-Send-Key";

    /// <summary>Builds the message. Throws <see cref="ParseException"/> or <see cref="ArgumentException"/> for an address that is not one.</summary>
    public MimeMessage Create(EmailToSend email)
    {
        var message = new MimeMessage();
        // The engine gave the email its From (the template's or SendingOptions.DefaultFrom): there is no second default here.
        message.From.Add(Mailbox(email.From ?? throw new ArgumentException($"send '{email.SendKey}' has no From", nameof(email))));
        message.To.Add(Mailbox(email.To));
        message.Subject = email.Subject;
        message.Date = time.GetUtcNow();
        // The send key is the idempotency key: a message that is somehow delivered twice carries one Message-ID,
        // which receivers and our own bounce handling can deduplicate on.
        message.MessageId = $"{email.SendKey}@{options.MessageIdDomain}";

        var unsubscribe = UnsubscribeUrl(email.CustomerId);
        message.Headers.Add("List-Unsubscribe", ListUnsubscribe(email.CustomerId, unsubscribe));
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        message.Headers.Add(JourneyHeader, email.JourneyId);
        message.Headers.Add(StepHeader, email.StepId);
        message.Headers.Add(SendKeyHeader, email.SendKey);

        // Text first, HTML last: in multipart/alternative the last part is the preferred one. Mailbox providers
        // score HTML-only mail as spammier, so a text part is derived when the template has none.
        // {{ unsubscribe_url }} was rendered as a placeholder (the engine holds no secret): the signed link goes in here,
        // the same as the header's.
        var html = email.Html.Replace(UnsubscribeLink.Placeholder, System.Net.WebUtility.HtmlEncode(unsubscribe), StringComparison.Ordinal);
        var body = new BodyBuilder
        {
            TextBody = (string.IsNullOrWhiteSpace(email.Text) ? HtmlToText.Convert(html) : email.Text).Replace(UnsubscribeLink.Placeholder, unsubscribe, StringComparison.Ordinal),
            HtmlBody = html,
        };
        if (string.IsNullOrWhiteSpace(body.TextBody))
            body.TextBody = null;
        message.Body = body.ToMessageBody();

        // Chooses every part's transfer encoding now, for 7-bit transport, so the pickup file holds the exact bytes
        // SMTP would send (MailKit would otherwise pick per server, depending on 8BITMIME).
        message.Prepare(EncodingConstraint.SevenBit);
        _dkim?.Sign(message);
        return message;
    }

    // MimeKit accepts a bare local part ("nobody") as RFC 5322 allows; over SMTP that is not deliverable.
    private static MailboxAddress Mailbox(string value)
    {
        var mailbox = MailboxAddress.Parse(value);
        return string.IsNullOrEmpty(mailbox.Domain)
            ? throw new ArgumentException($"'{value}' has no domain", nameof(value))
            : mailbox;
    }

    /// <summary>The customer's signed one-click link: in the header and wherever the body says <c>{{ unsubscribe_url }}</c>.</summary>
    private string UnsubscribeUrl(string customerId)
    {
        var token = UnsubscribeToken.Create(customerId, options.UnsubscribeSecret);
        var separator = options.UnsubscribeBaseUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return string.Create(CultureInfo.InvariantCulture, $"{options.UnsubscribeBaseUrl}{separator}c={Uri.EscapeDataString(customerId)}&t={token}");
    }

    private string ListUnsubscribe(string customerId, string url)
    {
        var value = $"<{url}>";
        if (!string.IsNullOrEmpty(options.UnsubscribeMailto))
            value += $", <mailto:{options.UnsubscribeMailto}?subject=unsubscribe-{Uri.EscapeDataString(customerId)}>";
        return value;
    }
}
