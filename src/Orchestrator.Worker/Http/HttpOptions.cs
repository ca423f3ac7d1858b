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

    /// <summary>Largest <c>POST /events</c> body, in bytes; a larger one gets 413 before it is read. Default 16 MiB
    /// (a full batch of typical events is well under 1 MiB; each event's own limits are <see cref="Core.Processing.EventLimits"/>).</summary>
    [System.ComponentModel.DataAnnotations.Range(1_024, 1_073_741_824)]
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>User name of the marketer's pages (<c>/</c>, <c>/journeys/{id}</c>, <c>/customers/{id}</c>; HTTP Basic).</summary>
    [System.ComponentModel.DataAnnotations.Required(AllowEmptyStrings = false)]
    public string PagesUser { get; set; } = "marketer";

    /// <summary>Password of the pages: they show customer data. Default: a development password; outside Development
    /// the worker refuses to start with it, with an empty one or one shorter than 16 characters.</summary>
    public string PagesPassword { get; set; } = DevelopmentPagesPassword;

    /// <summary>How often an open journey page fetches its figures again; 0 turns it off. Default 30.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public int PagesRefreshSeconds { get; set; } = 30;

    public const string DevelopmentApiKey = "dev-only-change-me";
    public const string DevelopmentPagesPassword = "dev-only-pages-password";
}

/// <summary>The rules of the API key and the pages' password (<see cref="Core.Ports.SecretRules"/>), with the environment the worker runs in.</summary>
internal sealed class HttpOptionsValidator(IHostEnvironment environment) : Microsoft.Extensions.Options.IValidateOptions<HttpOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        var problems = new[] { ("ApiKey", options.ApiKey), ("PagesPassword", options.PagesPassword) }
            .Select(p => Core.Ports.SecretRules.Problem(p.Item2, environment.IsDevelopment()) is { } problem ? $"{HttpOptions.SectionName}:{p.Item1} {problem}." : null)
            .OfType<string>().ToList();
        return problems.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}
