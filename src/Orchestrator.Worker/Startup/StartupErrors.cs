using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Orchestrator.Worker.Startup;

/// <summary>
/// Turns a wrong setting found at start into one message per problem that names the setting as an operator writes it
/// (<c>Orchestrator:Scheduling:PollIntervalMilliseconds</c>, or <c>Orchestrator__Scheduling__PollIntervalMilliseconds</c> in
/// the environment), instead of an unhandled exception's stack trace.
/// </summary>
public static partial class StartupErrors
{
    /// <summary>The exit code of a worker stopped by its configuration.</summary>
    public const int ConfigurationExitCode = 3;

    /// <summary>The operator's message for <paramref name="exception"/>, or null when it is not a configuration problem.</summary>
    public static string? Describe(Exception exception)
    {
        if (Problems(exception) is not { } problems)
            return null;
        var text = new StringBuilder("orchestrator-worker did not start: fix these settings (appsettings.json, or environment variables such as Orchestrator__Storage__Provider)");
        foreach (var problem in problems)
            text.Append("\n  - ").Append(problem);
        return text.ToString();
    }

    private static List<string>? Problems(Exception exception) =>
        exception switch
        {
            OptionsValidationException invalid => invalid.Failures.Select(f => Qualify(invalid.OptionsType, f)).ToList(),
            AggregateException many when many.InnerExceptions.All(e => e is OptionsValidationException) =>
                many.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures.Select(f => Qualify(e.OptionsType, f))).ToList(),
            // The configuration binder's own failure, e.g. an enum value that does not exist.
            InvalidOperationException { InnerException: FormatException format } conversion when conversion.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
                [$"{conversion.Message.TrimEnd('.')}: {format.Message}{ValidValues(conversion.Message)}"],
            // The database (or its folder) cannot be created or written at start: a path or permission to fix.
            Core.Ports.StoreUnavailableException store =>
                [$"{Storage.StorageOptions.SectionName}:ConnectionString: {store.Message}; check the path (or server) it names and its permissions"],
            AggregateException { InnerExceptions: [var only] } => Problems(only),
            _ => null,
        };

    /// <summary>For an enum setting, the values it takes.</summary>
    private static string ValidValues(string conversionMessage)
    {
        if (TargetType().Match(conversionMessage) is not { Success: true } match)
            return "";
        var type = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(match.Groups["type"].Value)).FirstOrDefault(t => t is not null);
        return type is { IsEnum: true } ? $" (use one of: {string.Join(", ", Enum.GetNames(type))})" : "";
    }

    [GeneratedRegex(@"to type '(?<type>[^']+)'")]
    private static partial Regex TargetType();

    /// <summary>Data-annotation failures name the member only; this puts the section in front of it.</summary>
    private static string Qualify(Type optionsType, string failure)
    {
        var section = optionsType.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string;
        if (DataAnnotationFailure().Match(failure) is { Success: true } match)
            return $"{(section is null ? "" : section + ":")}{match.Groups["member"].Value}: {match.Groups["error"].Value}";
        return failure;
    }

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']+' members: '(?<member>[^']+)' with the error: '(?<error>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}
