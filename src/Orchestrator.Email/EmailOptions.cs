using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Email;

/// <summary>How the worker delivers email (appsettings section <c>Orchestrator:Email</c>).</summary>
/// <remarks>
/// Without a <see cref="Host"/> every email is written as an <c>.eml</c> file into <see cref="PickupFolder"/>,
/// so a fresh machine works with nothing installed; with one, it goes to that SMTP server over pooled connections.
/// </remarks>
public sealed class EmailOptions
{
    public const string SectionName = "Orchestrator:Email";

    /// <summary>Default for <see cref="RetryDelays"/>: 10s, 30s, 2m, 10m, 30m.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
        [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)];

    /// <summary>
    /// SMTP server (relay) host name. Default null (or blank): no SMTP, write <c>.eml</c> files to <see cref="PickupFolder"/>.
    /// </summary>
    public string? Host { get; set; }

    /// <summary>SMTP port. Default 25.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>Transport security. Default <see cref="SmtpSecurity.Auto"/> (TLS on connect for port 465, else STARTTLS when offered).</summary>
    [EnumDataType(typeof(SmtpSecurity))]
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    /// <summary>SMTP AUTH user. Default null: no authentication. Requires <see cref="Password"/>.</summary>
    public string? Username { get; set; }

    /// <summary>SMTP AUTH password. Default null. Only meaningful with <see cref="Username"/>.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// SMTP connections kept open and used in parallel; also how many emails the dispatcher sends at once. Default 4.
    /// </summary>
    [Range(1, 64)]
    public int PoolSize { get; set; } = 4;

    /// <summary>Timeout of each SMTP command (connect, MAIL, RCPT, DATA...). Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Domain of every Message-ID, <c>&lt;{SendKey}@{MessageIdDomain}&gt;</c>. Default <c>orchestrator.local</c>;
    /// production should use a domain it owns (the sending domain).
    /// </summary>
    [Required]
    public string MessageIdDomain { get; set; } = "orchestrator.local";

    /// <summary>Folder for <c>.eml</c> files when no <see cref="Host"/> is set, relative to the content root. Default <c>data/outbox-eml</c>.</summary>
    [Required]
    public string PickupFolder { get; set; } = "data/outbox-eml";

    /// <summary>
    /// The worker's one-click unsubscribe endpoint (RFC 8058); each email links to
    /// <c>{UnsubscribeBaseUrl}?c={customerId}&amp;t={token}</c>. Default <c>http://localhost:5080/unsubscribe</c>.
    /// Mailbox providers honour one-click only for https links.
    /// </summary>
    [Required]
    public string UnsubscribeBaseUrl { get; set; } = "http://localhost:5080/unsubscribe";

    /// <summary>Address for mail-based unsubscribe, added to <c>List-Unsubscribe</c> when set. Default null (none).</summary>
    public string? UnsubscribeMailto { get; set; }

    /// <summary>
    /// Key of the unsubscribe tokens (<see cref="Core.Ports.UnsubscribeToken"/>); the worker's endpoint must use the same.
    /// The default is a development value known to anyone reading this file: outside Development the worker refuses to
    /// start with it (or with one shorter than 16 characters), since anyone could forge unsubscribe links with it.
    /// </summary>
    [Required]
    public string UnsubscribeSecret { get; set; } = DevelopmentUnsubscribeSecret;

    public const string DevelopmentUnsubscribeSecret = "development-only-unsubscribe-secret";

    /// <summary>
    /// DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed), which mailbox providers require of bulk senders: the signing
    /// domain (<c>d=</c>, normally the From domain), the selector (<c>s=</c>; the public key is published in DNS at
    /// <c>{selector}._domainkey.{domain}</c>) and the PEM file of the private key. All three or none; default none.
    /// </summary>
    public string? DkimDomain { get; set; }

    /// <inheritdoc cref="DkimDomain"/>
    public string? DkimSelector { get; set; }

    /// <inheritdoc cref="DkimDomain"/>
    public string? DkimPrivateKeyFile { get; set; }

    /// <summary>Whether mail is DKIM-signed.</summary>
    public bool SignsDkim => !string.IsNullOrEmpty(DkimDomain);

    /// <summary>
    /// Attempts per email (first try included) before a transient failure becomes <c>failed</c>. Default 5. Counted in
    /// the outbox, so a restart or another worker continues the count.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// Wait after the n-th transient failure before attempt n+1; the last entry repeats.
    /// Default null: <see cref="DefaultRetryDelays"/>. (Null rather than a pre-filled list because the configuration
    /// binder appends configured items to a pre-filled list instead of replacing it.)
    /// </summary>
    public IReadOnlyList<TimeSpan>? RetryDelays { get; set; }

    /// <summary>How often the dispatcher looks for due sends when it found none and was not woken. Default 500 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Sends claimed from the outbox at once. Default 16.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 16;

    /// <summary>
    /// At start, sends left <c>sending</c> for longer than this by any worker are declared <c>unknown</c> (a crashed
    /// worker's), never resent. Default 10 minutes; must exceed the longest a live worker can take for one batch.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// This process's name in the outbox's claims. Default <c>{machine name}-{process id}</c>: unique per process, so
    /// two workers on one machine never declare each other's in-flight sends abandoned.
    /// </summary>
    [Required]
    [MaxLength(200)]
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    internal IReadOnlyList<TimeSpan> EffectiveRetryDelays => RetryDelays is { Count: > 0 } delays ? delays : DefaultRetryDelays;

    internal bool UsesSmtp => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Transport security of the SMTP connection.</summary>
public enum SmtpSecurity
{
    /// <summary>TLS on connect for port 465, otherwise STARTTLS when the server offers it, else plain.</summary>
    Auto,

    /// <summary>Plain text (local relays and test servers only).</summary>
    None,

    /// <summary>STARTTLS required: fail if the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    SslOnConnect,
}
