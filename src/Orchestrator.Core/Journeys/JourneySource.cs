namespace Orchestrator.Core.Journeys;

/// <summary>
/// The text one journey version was parsed from: its file and every template file it uses, as read. Kept with the
/// version in the database, so that customers pinned to it finish on it after a restart, on a second worker, or
/// while the file on disk is broken or edited (docs/journey-format.md, Versions).
/// </summary>
/// <param name="FileName">The journey file's name within the journeys folder, e.g. <c>cart-recovery.yaml</c>.</param>
/// <param name="Yaml">The journey file's text.</param>
/// <param name="TemplateFiles">Each template file by its name within <c>templates/</c> (<c>cart-reminder.liquid</c>, <c>cart-reminder.txt.liquid</c>).</param>
public sealed record JourneySource(string FileName, string Yaml, IReadOnlyDictionary<string, string> TemplateFiles);

/// <summary>A version as the database keeps it: the journey it belongs to, its version hash and its text.</summary>
/// <param name="LastInForceAt">The last time a worker loaded it as the version new customers enter: a broken file's
/// journey keeps running on the version last in force.</param>
public sealed record StoredJourneyVersion(string JourneyId, string Version, JourneySource Source, DateTimeOffset LastInForceAt);
