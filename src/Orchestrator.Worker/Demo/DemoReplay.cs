using Orchestrator.Core.Processing;

namespace Orchestrator.Worker.Demo;

/// <summary>
/// <c>--demo [file]</c>: once the worker has started, replays a JSONL file of events (default samples/events.jsonl)
/// through the same ingress as HTTP and AMQP, so a fresh machine shows the worker doing its real job.
/// </summary>
public sealed partial class DemoReplay(string file, EventIngress ingress, ILogger<DemoReplay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!File.Exists(file))
        {
            LogMissing(logger, file);
            return;
        }
        var lines = await File.ReadAllLinesAsync(file, stoppingToken).ConfigureAwait(false);
        var events = EventFile.Parse(file, lines, bad => LogBadLine(logger, bad.File, bad.Line, bad.Error));
        var counts = new Dictionary<IngestStatus, int>();
        var sends = 0;
        foreach (var evt in events.OrderBy(e => e.OccurredAt.UtcTicks))
        {
            var result = await ingress.IngestAsync(evt, stoppingToken).ConfigureAwait(false);
            counts[result.Status] = counts.GetValueOrDefault(result.Status) + 1;
            sends += result.Sends;
        }
        var processed = counts.GetValueOrDefault(IngestStatus.Processed);
        var duplicates = counts.GetValueOrDefault(IngestStatus.Duplicate);
        var rejected = counts.GetValueOrDefault(IngestStatus.Rejected);
        LogDone(logger, events.Count, file, processed, duplicates, rejected, sends);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Demo: {File} not found")]
    private static partial void LogMissing(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo: {File}:{Line}: {Error}")]
    private static partial void LogBadLine(ILogger logger, string file, int line, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: replayed {Count} events from {File}: {Processed} processed, {Duplicates} duplicates, {Rejected} rejected, {Sends} emails queued; waits due in the past run now, the rest when due")]
    private static partial void LogDone(ILogger logger, int count, string file, int processed, int duplicates, int rejected, int sends);
}
