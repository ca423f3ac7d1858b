using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Bench.Suite;

/// <summary>The machine and the versions a run was measured with, written beside its figures.</summary>
internal sealed record Machine(int Cores, long MemoryBytes, string Os, string Runtime, string Sqlite, string MicrosoftDataSqlite,
    string Quartz, string MailKit, string Commit)
{
    public static Machine Describe(string root) => new(
        Environment.ProcessorCount,
        MeminfoKb("MemTotal") * 1024,
        OsName(),
        RuntimeInformation.FrameworkDescription,
        SqliteVersion(),
        Version(typeof(SqliteConnection)),
        Version(typeof(global::Quartz.IScheduler)),
        Version(typeof(MailKit.Net.Smtp.SmtpClient)),
        Git(root));

    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Cores} cores, {MemoryBytes / (1024.0 * 1024 * 1024):N0} GiB, {Os}, {Runtime}, SQLite {Sqlite} (Microsoft.Data.Sqlite {MicrosoftDataSqlite}), Quartz {Quartz}, MailKit {MailKit}, commit {Commit}");

    private static long MeminfoKb(string key) =>
        File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
                .Select(l => long.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)).FirstOrDefault()
            : 0;

    private static string OsName() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").Where(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)).Select(l => l["PRETTY_NAME=".Length..].Trim('"')).FirstOrDefault() ?? RuntimeInformation.OSDescription
            : RuntimeInformation.OSDescription;

    private static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        return (string)command.ExecuteScalar()!;
    }

    // The informational version without its "+commit" suffix.
    private static string Version(Type type) =>
        (type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? type.Assembly.GetName().Version?.ToString() ?? "?").Split('+')[0];

    private static string Git(string root)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "describe", "--always", "--dirty" })
                start.ArgumentList.Add(argument);
            using var git = Process.Start(start)!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? commit : "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?"; // no git on this machine
        }
    }
}
