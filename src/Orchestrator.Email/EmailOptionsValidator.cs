using Microsoft.Extensions.Options;

namespace Orchestrator.Email;

/// <summary>Cross-field checks of <see cref="EmailOptions"/>; reports every failure at once.</summary>
internal sealed class EmailOptionsValidator(Microsoft.Extensions.Hosting.IHostEnvironment? environment = null) : IValidateOptions<EmailOptions>
{
    // Connect (with TLS and AUTH), MAIL+RCPT, DATA and its final reply each get up to one Timeout.
    private const int TimeoutsPerSend = 4;

    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var failures = new List<string>();

        if (!string.IsNullOrEmpty(options.Username) && string.IsNullOrEmpty(options.Password))
            failures.Add("Username is set without Password.");
        if (string.IsNullOrEmpty(options.Username) && !string.IsNullOrEmpty(options.Password))
            failures.Add("Password is set without Username.");
        if (!options.UsesSmtp && !string.IsNullOrEmpty(options.Username))
            failures.Add("Username is set but Host is not: credentials are only used for SMTP.");

        if (!Uri.TryCreate(options.UnsubscribeBaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            failures.Add($"UnsubscribeBaseUrl '{options.UnsubscribeBaseUrl}' is not an absolute http(s) URL.");
        else if (!string.IsNullOrEmpty(url.Fragment))
            failures.Add("UnsubscribeBaseUrl must not have a #fragment: the customer id and token are appended as query parameters.");
        if (options.UnsubscribeMailto is { } mailto && !MimeKit.MailboxAddress.TryParse(mailto, out _))
            failures.Add($"UnsubscribeMailto '{mailto}' is not an email address.");

        if (options.MessageIdDomain is { Length: > 0 } domain && Uri.CheckHostName(domain) != UriHostNameType.Dns)
            failures.Add($"MessageIdDomain '{domain}' is not a DNS name.");

        // Without a host (tests, tools) the rules of Development apply: only an empty secret is refused.
        if (Core.Ports.SecretRules.Problem(options.UnsubscribeSecret, environment is null || Microsoft.Extensions.Hosting.HostEnvironmentEnvExtensions.IsDevelopment(environment)) is { } problem)
            failures.Add($"UnsubscribeSecret {problem} (anyone who knows it can unsubscribe any customer).");

        var dkim = new[] { options.DkimDomain, options.DkimSelector, options.DkimPrivateKeyFile }.Count(v => !string.IsNullOrEmpty(v));
        if (dkim is 1 or 2)
            failures.Add("DkimDomain, DkimSelector and DkimPrivateKeyFile go together: set all three to sign mail, or none.");
        else if (dkim == 3 && DkimSigning.Problem(options) is { } keyProblem)
            failures.Add(keyProblem);

        if (options.RetryDelays is { } delays && delays.Any(d => d <= TimeSpan.Zero))
            failures.Add("RetryDelays must all be positive.");

        // A live worker's batch may be 'sending' for up to this long; declaring it abandoned sooner would turn
        // sends that are about to succeed into 'unknown'.
        var batchRounds = (options.BatchSize + options.PoolSize - 1) / Math.Max(1, options.PoolSize);
        var longestBatch = options.Timeout * TimeoutsPerSend * batchRounds;
        if (options.PoolSize > 0 && options.AbandonAfter <= longestBatch)
            failures.Add($"AbandonAfter ({options.AbandonAfter}) must exceed the longest a batch can stay 'sending' " +
                         $"({longestBatch} = ceil(BatchSize / PoolSize) x {TimeoutsPerSend} x Timeout).");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
