using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// Every stored enum name, pinned: these strings are in existing rows and in analysis queries, so a change here is a
/// data migration, not a rename.
/// </summary>
public sealed class StoredNamesTests
{
    [Theory]
    [InlineData(InstanceStatus.Active, "active")]
    [InlineData(InstanceStatus.Completed, "completed")]
    [InlineData(InstanceStatus.Exited, "exited")]
    public void Instance_status(InstanceStatus value, string stored)
    {
        Assert.Equal(stored, value.ToStored());
        Assert.Equal(value, StoredNames.ParseInstanceStatus(stored));
        Assert.Equal(value, StoredNames.ParseInstanceStatus(stored.ToUpperInvariant()));
    }

    [Theory]
    [InlineData(WaitingFor.Nothing, "nothing")]
    [InlineData(WaitingFor.Time, "time")]
    [InlineData(WaitingFor.Event, "event")]
    [InlineData(WaitingFor.SendSlot, "sendslot")]
    public void Waiting_for(WaitingFor value, string stored)
    {
        Assert.Equal(stored, value.ToStored());
        Assert.Equal(value, StoredNames.ParseWaitingFor(stored));
    }

    [Theory]
    [InlineData(FeedbackLevel.Touchpoint, "touchpoint")]
    [InlineData(FeedbackLevel.Journey, "journey")]
    [InlineData(FeedbackLevel.Relationship, "relationship")]
    public void Feedback_level(FeedbackLevel value, string stored)
    {
        Assert.Equal(stored, value.ToStored());
        Assert.Equal(value, StoredNames.ParseFeedbackLevel(stored));
    }

    [Fact]
    public void Every_member_is_pinned()
    {
        Assert.Equal(3, Enum.GetValues<InstanceStatus>().Length);
        Assert.Equal(4, Enum.GetValues<WaitingFor>().Length);
        Assert.Equal(3, Enum.GetValues<FeedbackLevel>().Length);
    }

    [Fact]
    public void An_unknown_stored_name_is_refused() =>
        Assert.Throws<InvalidDataException>(() => StoredNames.ParseInstanceStatus("paused"));
}
