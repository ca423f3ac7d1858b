using System.Globalization;
using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Analysis;

/// <summary>The three levels of customer-experience measurement (docs/analysis-contract.md, "Experience, three levels").</summary>
public enum FeedbackLevel
{
    /// <summary>One contact: the answer belongs to one send of one step.</summary>
    Touchpoint,

    /// <summary>A whole journey, asked after (or near) its end.</summary>
    Journey,

    /// <summary>The relationship with the brand (NPS), not tied to a journey.</summary>
    Relationship,
}

/// <summary>A survey scale: its range, its midpoint and what counts as a top-box answer.</summary>
public sealed record FeedbackMetric(string Name, double Min, double Max, double TopBoxFrom)
{
    public static readonly FeedbackMetric Csat = new("csat", 1, 5, 4);

    /// <summary>Customer Effort Score, higher = easier.</summary>
    public static readonly FeedbackMetric Ces = new("ces", 1, 7, 6);

    /// <summary>Net Promoter Score question: 9-10 promoters, 0-6 detractors.</summary>
    public static readonly FeedbackMetric Nps = new("nps", 0, 10, 9);

    public static readonly IReadOnlyList<FeedbackMetric> All = [Csat, Ces, Nps];

    public static FeedbackMetric? Find(string? name) => All.FirstOrDefault(m => m.Name == name);

    /// <summary>The score on 0..1, so that answers on different scales can be compared (peak-end).</summary>
    public double Scaled(double score) => (score - Min) / (Max - Min);

    public bool IsTopBox(double score) => score >= TopBoxFrom;

    public bool IsDetractor(double score) => this == Nps && score <= 6;

    public string Range => string.Create(CultureInfo.InvariantCulture, $"{Min}-{Max}");
}

/// <summary>
/// The reserved event <c>feedback.submitted</c>: a survey answer. Handled for every customer and still usable as a
/// journey's entry or <c>wait_for</c> event.
/// </summary>
public static class FeedbackEvent
{
    public const string Type = "feedback.submitted";

    /// <summary>Why a feedback event cannot be accepted, or null (also for events of other types).</summary>
    public static string? Validate(CustomerEvent evt)
    {
        if (evt.Type != Type)
            return null;
        if (evt.Properties is not { ValueKind: JsonValueKind.Object } p)
            return $"{Type} needs properties.metric (csat, ces or nps) and properties.score";
        var metricName = p.TryGetProperty("metric", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        if (FeedbackMetric.Find(metricName) is not { } metric)
            return metricName is null
                ? $"{Type} needs properties.metric: csat (1-5), ces (1-7) or nps (0-10)"
                : $"{Type}: unknown metric '{metricName}'; use csat (1-5), ces (1-7) or nps (0-10)";
        if (!p.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out var score))
            return $"{Type} needs properties.score, a number from {metric.Range} for {metric.Name}";
        if (score < metric.Min || score > metric.Max || double.IsNaN(score))
            return $"{Type}: score {s.GetRawText()} is out of range for {metric.Name} ({metric.Range})";
        foreach (var name in new[] { "sendKey", "journey", "comment" })
        {
            if (p.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                return $"{Type}: properties.{name} must be text";
        }
        return null;
    }

    /// <summary>The answer's fields, for an event that passed <see cref="Validate"/>.</summary>
    internal static (FeedbackMetric Metric, double Score, string? SendKey, string? Journey, string? Comment) Read(CustomerEvent evt)
    {
        var p = evt.Properties!.Value;
        return (FeedbackMetric.Find(p.GetProperty("metric").GetString())!, p.GetProperty("score").GetDouble(),
            Text(p, "sendKey"), Text(p, "journey"), Text(p, "comment"));
    }

    private static string? Text(JsonElement p, string name) =>
        p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
}

/// <summary>One survey answer with what it was attributed to (docs/analysis-contract.md, "What is stored").</summary>
public sealed record FeedbackAnswer
{
    public required string EventId { get; init; }
    public required string CustomerId { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Metric { get; init; }
    public required double Score { get; init; }
    public required FeedbackLevel Level { get; init; }

    /// <summary>False for a csat/ces answer that found no send to belong to: kept at the relationship level, marked.</summary>
    public bool Attributed { get; init; } = true;

    public string? JourneyId { get; init; }
    public string? Version { get; init; }
    public string? StepId { get; init; }
    public string? InstanceId { get; init; }
    public string? SendKey { get; init; }
    public string? Comment { get; init; }
}

/// <summary>A send as attribution needs it: which journey, step and instance an email belonged to.</summary>
public sealed record SendReference(string SendKey, string CustomerId, string JourneyId, string Version, string StepId, string InstanceId, DateTimeOffset At);
