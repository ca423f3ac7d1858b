using Orchestrator.Core.Analysis;

namespace Orchestrator.Core.Engine;

/// <summary>
/// The names enums are stored under (instance status and waiting, feedback level), written out rather than derived from
/// the member names: renaming a C# member must not change stored rows or the analysis queries that read them. Reading
/// ignores case, as the stores always have.
/// </summary>
public static class StoredNames
{
    private static readonly StoredNameMap<InstanceStatus> InstanceStatuses = new(
        (InstanceStatus.Active, "active"), (InstanceStatus.Completed, "completed"), (InstanceStatus.Exited, "exited"));

    private static readonly StoredNameMap<WaitingFor> Waits = new(
        (WaitingFor.Nothing, "nothing"), (WaitingFor.Time, "time"), (WaitingFor.Event, "event"), (WaitingFor.SendSlot, "sendslot"));

    private static readonly StoredNameMap<FeedbackLevel> FeedbackLevels = new(
        (FeedbackLevel.Touchpoint, "touchpoint"), (FeedbackLevel.Journey, "journey"), (FeedbackLevel.Relationship, "relationship"));

    public static string ToStored(this InstanceStatus value) => InstanceStatuses.Write(value);
    public static string ToStored(this WaitingFor value) => Waits.Write(value);
    public static string ToStored(this FeedbackLevel value) => FeedbackLevels.Write(value);

    public static InstanceStatus ParseInstanceStatus(string stored) => InstanceStatuses.Read(stored);
    public static WaitingFor ParseWaitingFor(string stored) => Waits.Read(stored);
    public static FeedbackLevel ParseFeedbackLevel(string stored) => FeedbackLevels.Read(stored);

    private sealed class StoredNameMap<T> where T : struct, Enum
    {
        private readonly Dictionary<T, string> _names = [];
        private readonly Dictionary<string, T> _values = new(StringComparer.OrdinalIgnoreCase);

        public StoredNameMap(params (T Value, string Name)[] pairs)
        {
            foreach (var (value, name) in pairs)
            {
                _names.Add(value, name);
                _values.Add(name, value);
            }
            // A member added without a stored name fails here, at first use, not when its first row is written.
            if (_names.Count != Enum.GetValues<T>().Length)
                throw new InvalidOperationException($"Every {typeof(T).Name} member needs a stored name.");
        }

        public string Write(T value) =>
            _names.TryGetValue(value, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(value), value, $"No stored name for this {typeof(T).Name}.");

        public T Read(string stored) =>
            _values.TryGetValue(stored, out var value) ? value : throw new InvalidDataException($"'{stored}' is not a stored {typeof(T).Name}");
    }
}
