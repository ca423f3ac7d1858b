using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Bench.Suite;

/// <summary>Small helpers every part of the suite shares: the repository, free ports, percentiles, reading a store.</summary>
internal static class SuiteSupport
{
    public static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Nearest-rank percentile of sorted values (0 for none).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static long Scalar(string database, string sql)
    {
        using var connection = Open(database);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row, read as the store's UTC ISO 8601 text.</summary>
    public static List<DateTimeOffset> Times(string database, string sql)
    {
        using var connection = Open(database);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var times = new List<DateTimeOffset>();
        while (reader.Read())
            times.Add(DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        return times;
    }

    private static readonly string[] DatabaseFiles = ["", "-wal", "-shm"];

    /// <summary>The database file with its WAL and shared-memory files, in bytes.</summary>
    public static long FileBytes(string database) =>
        DatabaseFiles.Select(suffix => database + suffix).Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private static SqliteConnection Open(string database)
    {
        // Read-only and unpooled: the suite reads the worker's file while the worker writes it, and must not keep it open.
        var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
        connection.Open();
        return connection;
    }

    /// <summary>Waits until <paramref name="done"/> holds, checking every quarter second; throws with <paramref name="what"/> on timeout or when <paramref name="worker"/> exits.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, Func<string> what, Process? worker = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (worker is { HasExited: true })
                throw new InvalidOperationException($"the worker exited (code {worker.ExitCode}) before {what()}");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"not done after {timeout.TotalSeconds:N0} s: {what()}");
            await Task.Delay(250);
        }
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
