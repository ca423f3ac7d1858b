namespace Orchestrator.Worker.Http;

/// <summary>The worker's HTTP endpoints (section <c>Orchestrator:Http</c>).</summary>
public sealed class HttpOptions
{
    public const string SectionName = "Orchestrator:Http";

    /// <summary>Key required in the <c>X-Api-Key</c> header of <c>POST /events</c>. Default: a development key; outside
    /// Development the worker refuses to start with it, with an empty key or one shorter than 16 characters.</summary>
    public string ApiKey { get; set; } = DevelopmentApiKey;

    /// <summary>Most events accepted in one request. Default 1000.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int MaxBatch { get; set; } = 1_000;

    public const string DevelopmentApiKey = "dev-only-change-me";
}

/// <summary>The API key's rules (<see cref="Core.Ports.SecretRules"/>), with the environment the worker runs in.</summary>
internal sealed class HttpOptionsValidator(IHostEnvironment environment) : Microsoft.Extensions.Options.IValidateOptions<HttpOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, HttpOptions options) =>
        Core.Ports.SecretRules.Problem(options.ApiKey, environment.IsDevelopment()) is { } problem
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail($"{HttpOptions.SectionName}:ApiKey {problem}.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
