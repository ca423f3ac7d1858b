namespace Orchestrator.Worker.Http;

/// <summary>The worker's HTTP endpoints (section <c>Orchestrator:Http</c>).</summary>
public sealed class HttpOptions
{
    public const string SectionName = "Orchestrator:Http";

    /// <summary>Key required in the <c>X-Api-Key</c> header of <c>POST /events</c>. Default: a development key that
    /// production must override (the worker logs a warning while it is in use).</summary>
    public string ApiKey { get; set; } = DevelopmentApiKey;

    /// <summary>Most events accepted in one request. Default 1000.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int MaxBatch { get; set; } = 1_000;

    public const string DevelopmentApiKey = "dev-only-change-me";
}
