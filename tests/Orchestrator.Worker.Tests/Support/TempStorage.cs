using Microsoft.Data.Sqlite;
using Orchestrator.Storage;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// For the direct tests (no worker process): a temporary folder with a journeys folder and a migrated SQLite database,
/// the storage production runs. Deleted when disposed.
/// </summary>
internal sealed class TempStorage : IDisposable
{
    private readonly TimeProvider _time;

    public TempStorage(TimeProvider time)
    {
        _time = time;
        Directory.CreateDirectory(Path.Combine(Journeys, "templates"));
        Storage = Open();
        Storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("orch-direct").FullName;

    public string Journeys => Path.Combine(Folder, "journeys");

    public string Database => Path.Combine(Folder, "orchestrator.db");

    public JourneyStorage Storage { get; }

    /// <summary>A second storage over the same file, as a restarted worker has.</summary>
    public JourneyStorage Open() => JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={Database}" }, _time);

    public void Write(string relativePath, string text) => File.WriteAllText(Path.Combine(Journeys, relativePath), text);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless.
        }
    }
}
