using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Engine;

namespace Orchestrator.Email.Tests;

internal static class TestEmails
{
    public const string Secret = "test-unsubscribe-secret-0123456789";

    public static EmailToSend Create(string sendKey, string to = "ada@example.com", string? text = "Hello Ada, your cart misses you.") => new()
    {
        SendKey = sendKey,
        At = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
        JourneyId = "cart-abandonment",
        Version = "3",
        InstanceId = "inst-1",
        StepId = "reminder",
        CustomerId = "cust 42/ä",
        To = to,
        From = "Shop <shop@example.com>",
        Subject = "You left something behind, Ada",
        Html = """<div style="display:none;max-height:0">Preheader text</div><h1>Hello Ada</h1><p>Your cart misses you. <a href="https://shop.example/cart">Back to cart</a></p>""",
        Text = text,
    };

    public static EmailOptions Options(int? port = null, Action<EmailOptions>? configure = null)
    {
        var options = new EmailOptions
        {
            Host = port is null ? null : "127.0.0.1",
            Port = port ?? 25,
            Security = SmtpSecurity.None,
            MessageIdDomain = "mail.test",
            UnsubscribeBaseUrl = "https://shop.example/unsubscribe",
            UnsubscribeMailto = "unsubscribe@shop.example",
            UnsubscribeSecret = Secret,
            Timeout = TimeSpan.FromSeconds(5),
            AbandonAfter = TimeSpan.FromMinutes(10),
            WorkerId = "test-worker",
        };
        configure?.Invoke(options);
        return options;
    }

    public static SmtpEmailSender SmtpSender(EmailOptions options, TimeProvider? time = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options),
            time ?? TimeProvider.System, NullLogger<SmtpEmailSender>.Instance);

    public static PickupFolderEmailSender PickupSender(EmailOptions options, TimeProvider? time = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options), time ?? TimeProvider.System);
}
