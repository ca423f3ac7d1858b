using Microsoft.Extensions.Logging.Console;

namespace Orchestrator.Worker.Startup;

public static class JsonConsoleLogs
{
    /// <summary>
    /// JSON console logs are ASP.NET Core's own: <c>Logging__Console__FormatterName=json</c> writes one JSON object a
    /// line. Without further settings that object has no time and no scopes, so here they default to a UTC ISO 8601
    /// <c>Timestamp</c> and <c>IncludeScopes</c> (a request's TraceId and path on the lines it causes); whatever
    /// <c>Logging:Console:FormatterOptions</c> sets is kept. The default (simple) format is not touched.
    /// </summary>
    public static IHostApplicationBuilder AddJsonConsoleDefaults(this IHostApplicationBuilder builder)
    {
        var set = builder.Configuration.GetSection("Logging:Console:FormatterOptions");
        builder.Services.PostConfigure<JsonConsoleFormatterOptions>(o =>
        {
            if (set[nameof(o.TimestampFormat)] is null)
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            if (set[nameof(o.UseUtcTimestamp)] is null)
                o.UseUtcTimestamp = true;
            if (set[nameof(o.IncludeScopes)] is null)
                o.IncludeScopes = true;
        });
        return builder;
    }
}
