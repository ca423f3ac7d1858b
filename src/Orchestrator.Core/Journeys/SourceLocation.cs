namespace Orchestrator.Core.Journeys;

/// <summary>A position in a journey or template file, 1-based, as editors show it.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

public enum DiagnosticSeverity
{
    Error,
    Warning,
}

/// <summary>One validation finding; <see cref="ToString"/> gives the <c>file:line:col: message</c> form.</summary>
public sealed record Diagnostic(DiagnosticSeverity Severity, SourceLocation Location, string Message)
{
    public override string ToString() => Severity == DiagnosticSeverity.Warning
        ? $"{Location}: warning: {Message}"
        : $"{Location}: {Message}";
}
