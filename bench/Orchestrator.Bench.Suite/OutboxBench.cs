using System.Diagnostics;
using System.Globalization;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Data.Sqlite;
using MimeKit;

namespace Orchestrator.Bench.Suite;

/// <summary>What the outbox part measured: the worker's outbox alone and while timers drain, each beside raw MailKit.</summary>
internal sealed record OutboxResult(
    int Sends, int Connections, long Sent, long SinkAccepted, double SentPerSecond, double RawBefore, double RawAfter,
    int TimersWhileSending, long TimersDecided, long SentDuringTimers, double OverlapSeconds, double SentPerSecondDuringTimers)
{
    /// <summary>The raw rate the ratios are read against: the mean of the runs before and after the worker's.</summary>
    public double Raw => (RawBefore + RawAfter) / 2;

    public double ToRaw => SentPerSecond / Raw;

    public double DuringTimersToRaw => SentPerSecondDuringTimers / Raw;
}

/// <summary>
/// The outbox against MailKit alone. The worker's store is seeded with N queued sends (one mail each at entry), and the
/// worker started with the default pool of connections drains them to the SMTP server; its rate is from the first to
/// the last <c>sent</c> outcome. Raw: the same number of mails, of the same subject and body as a stored send, over the
/// same number of MailKit connections to the same server, in the same run (before and after the worker's run).
/// Then again with timers (no email) due as well, so both drain at once; the outbox's rate is counted over the
/// time both ran.
/// </summary>
internal static class OutboxBench
{
    // The worker's default (EmailOptions.PoolSize); the raw run opens as many.
    private const int Connections = 4;

    /// <param name="timersPerSecondHint">About how fast this worker decides timers (the wakeups part's rate): with it the
    /// timers are made enough to drain for longer than the mails, so the two overlap for every mail.</param>
    public static async Task<OutboxResult> RunAsync(string root, SmtpSink sink, int sends, double timersPerSecondHint)
    {
        var alone = await DrainAsync(root, sink, sends, timers: 0);
        // Warm-up: MailKit's first mails pay for JIT and the connections' first handshakes, which the worker paid before.
        await RawMailKitAsync(sink.Port, Math.Min(sends, 200), alone.Sample);
        var before = await RawMailKitAsync(sink.Port, sends, alone.Sample);
        // Timers without email are decided faster than the hint (a wakeup with email); six times the hint,
        // and two seconds for the scheduler's and the dispatcher's polls, so the timers outlast the mails. At least 10,000:
        // with a small N the hint is mostly the scheduler's one-second poll, and timers alone are decided at about
        // 2,500/s here, so 3,000 (the floor before) were gone in about a second, before the mails were due.
        var timers = (int)Math.Max(Math.Max(3 * sends, 10_000), 6 * timersPerSecondHint * (sends / alone.PerSecond + 2));
        var mixed = await DrainAsync(root, sink, sends, timers);
        var after = await RawMailKitAsync(sink.Port, sends, alone.Sample);
        return new OutboxResult(sends, Connections, alone.Sent, alone.Accepted, alone.PerSecond, before, after,
            timers, mixed.TimersDecided, mixed.SentDuringTimers, mixed.OverlapSeconds,
            // Less than a second together is no measure at all when the timers ended as the mails became due: no figure
            // rather than a made-up one. It is one when every mail was sent while the timers still ran (the outbox drained
            // first: at smoke size, 100 mails in 0.6 s since timers take turns with the sender). A second or more with no
            // mail sent is a measure too: 0 sends/s.
            mixed.OverlapSeconds >= 1 || (mixed.SentDuringTimers == sends && mixed.OverlapSeconds > 0)
                ? mixed.SentDuringTimers / mixed.OverlapSeconds
                : double.NaN);
    }

    private sealed record Drain(long Sent, long Accepted, double PerSecond, MailSample Sample, long TimersDecided, long SentDuringTimers, double OverlapSeconds);

    private static async Task<Drain> DrainAsync(string root, SmtpSink sink, int sends, int timers)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-outbox").FullName;
        try
        {
            var database = Path.Combine(folder, "orchestrator.db");
            // Alone, the mails are due a minute ago. With timers, both start at one instant T, placed (as in the wakeups part)
            // after the timers are seeded and the worker is up: the timers' waits end at T, and the mails, seeded a day
            // ahead, are made due shortly after T (below).
            var now = DateTimeOffset.UtcNow;
            var seeded = await Seeder.SeedAsync(database, Seeder.Events("bench.send", "s-", sends, timers == 0 ? now.AddMinutes(-1) : now.AddDays(1)));
            var due = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5 * timers / seeded + WakeupsBench.WorkerStartSeconds);
            await Seeder.SeedAsync(database, Seeder.Events("bench.timer", "t-", timers, due.AddHours(-1)));
            var sample = Sample(database);
            // The mails are due 1.5 s after T, not at T: the dispatcher polls every 500 ms and the scheduler every second,
            // so at a small N the mails could all go out before the scheduler's first poll (CI once had fewer than ten
            // mails in the overlap). Written before the worker starts: an UPDATE into the running worker's store waited
            // behind the timers' batches until they were all done.
            DateTimeOffset? mailsDue = timers > 0 ? due.AddSeconds(1.5) : null;
            if (mailsDue is { } at)
                MakeQueuedSendsDue(database, at);
            var acceptedBefore = sink.Accepted;
            await using (var worker = await WorkerHost.StartAsync(root, folder, database, sink.Port,
                new Dictionary<string, string> { ["Orchestrator__Email__PoolSize"] = Connections.ToString(CultureInfo.InvariantCulture) }))
            {
                if (timers > 0)
                {
                    if (due - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
                        await Task.Delay(wait);
                }
                await SuiteSupport.WaitUntilAsync(() => Count(database, SentMails) >= sends && Count(database, DecidedTimers) >= timers,
                    TimeSpan.FromSeconds(120 + (sends + timers) / 50.0),
                    () => $"{Count(database, SentMails):N0} of {sends:N0} mails sent, {Count(database, DecidedTimers):N0} of {timers:N0} timers decided", worker.Process);
            }
            var sent = SuiteSupport.Times(database, "SELECT recorded_at FROM outcomes WHERE journey_id = 'bench-send' AND kind = 'sent' ORDER BY recorded_at");
            var decided = SuiteSupport.Times(database, "SELECT recorded_at FROM outcomes WHERE journey_id = 'bench-timer' AND kind = 'resumed' ORDER BY recorded_at");
            var perSecond = (sent.Count - 1) / (sent[^1] - sent[0]).TotalSeconds;
            long during = 0;
            var overlap = 0.0;
            if (mailsDue is { } dueAt && decided.Count > 0)
            {
                // From the moment the mails were due and timers draining (not the first mail sent: a dispatcher that waits
                // behind the timers' batches is what this measures) to whichever drain ended first.
                var from = dueAt > decided[0] ? dueAt : decided[0];
                var to = sent[^1] < decided[^1] ? sent[^1] : decided[^1];
                overlap = Math.Max(0, (to - from).TotalSeconds);
                during = sent.Count(t => t >= from && t <= to);
            }
            return new Drain(sent.Count, sink.Accepted - acceptedBefore, perSecond, sample, decided.Count, during, overlap);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }

    /// <summary>
    /// Queued sends made due at <paramref name="at"/>, before the worker starts. The dispatcher finds them at its first
    /// poll (Email:PollInterval, 500 ms) after then, as it finds a send whose retry delay has passed.
    /// </summary>
    private static void MakeQueuedSendsDue(string database, DateTimeOffset at)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        connection.Open();
        using (var timeout = connection.CreateCommand())
        {
            timeout.CommandText = "PRAGMA busy_timeout = 30000";
            timeout.ExecuteNonQuery();
        }
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE sends SET next_attempt_at = $at WHERE status = 'queued'";
        // The store's time format (fixed-width UTC ISO 8601, Orchestrator.Storage StoredTime).
        command.Parameters.AddWithValue("$at", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    /// <summary>The subject and bodies of a stored send, for raw mails like the worker's.</summary>
    private sealed record MailSample(string Subject, string Html, string Text);

    private static MailSample Sample(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT subject, html_body, text_body FROM sends LIMIT 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            throw new InvalidOperationException("seeding queued no send");
        return new MailSample(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? "" : reader.GetString(2));
    }

    /// <summary>MailKit alone: <paramref name="count"/> mails over <see cref="Connections"/> connections at once; mails/s from connect to the last reply.</summary>
    private static async Task<double> RawMailKitAsync(int port, int count, MailSample sample)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async lane =>
        {
            using var client = new SmtpClient();
            await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
            for (var i = lane; i < count; i += Connections)
            {
                // A message built per mail, bodies and all, as the worker builds one per send (and a body is a stream:
                // one shared by four connections at once would be read by all four).
                var message = new MimeMessage
                {
                    Subject = sample.Subject,
                    MessageId = $"raw-{i}@bench.example",
                    Body = new BodyBuilder { HtmlBody = sample.Html, TextBody = sample.Text }.ToMessageBody(),
                };
                message.From.Add(new MailboxAddress("Orchestrator", "no-reply@example.com"));
                message.To.Add(new MailboxAddress("", $"raw-{i}@bench.example"));
                await client.SendAsync(message);
            }
            await client.DisconnectAsync(true);
        }));
        return count / clock.Elapsed.TotalSeconds;
    }

    private const string SentMails = "SELECT COUNT(*) FROM outcomes WHERE journey_id = 'bench-send' AND kind = 'sent'";
    private const string DecidedTimers = "SELECT COUNT(*) FROM outcomes WHERE journey_id = 'bench-timer' AND kind = 'resumed'";

    private static long Count(string database, string sql) => SuiteSupport.Scalar(database, sql);
}
