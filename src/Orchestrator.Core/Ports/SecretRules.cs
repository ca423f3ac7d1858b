namespace Orchestrator.Core.Ports;

/// <summary>
/// What makes a configured secret (the HTTP API key, the unsubscribe secret) unusable, in one place for every
/// adapter: empty anywhere; outside Development also a value published in this repository or too short to guess at.
/// </summary>
public static class SecretRules
{
    public const int MinimumLength = 16;

    /// <summary>Placeholders shipped in this repository's files (appsettings.json, compose, docs): public, so never secret.</summary>
    private static readonly HashSet<string> Published = new(StringComparer.Ordinal)
    {
        "dev-only-change-me", "development-only-unsubscribe-secret", "dev-only-pages-password", "change-me-in-production", "change-me",
    };

    /// <summary>Why <paramref name="value"/> cannot be used, or null when it can.</summary>
    public static string? Problem(string? value, bool development)
    {
        if (string.IsNullOrWhiteSpace(value))
            return "is empty: an empty secret is no secret";
        if (development)
            return null;
        if (Published.Contains(value.Trim()))
            return $"is a published development value ('{value}'), which anyone can read; outside Development set a secret of your own, e.g. the output of `openssl rand -hex 24`";
        if (value.Length < MinimumLength)
            return $"is shorter than {MinimumLength} characters; outside Development set a longer one, e.g. the output of `openssl rand -hex 24`";
        return null;
    }
}
