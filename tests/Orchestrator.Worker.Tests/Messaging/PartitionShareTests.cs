using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Messaging;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>The rule of <see cref="PartitionShare"/>: which delivery makes a worker hand a partition on.</summary>
public sealed class PartitionShareTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));

    private PartitionShare Share(int partitions, bool spread = true, bool singleActive = true) =>
        new(Options.Create(new MessagingOptions { Partitions = partitions, SpreadPartitions = spread, SingleActiveConsumer = singleActive }), _time,
            NullLogger<PartitionShare>.Instance);

    /// <summary>A channel a partition delivered on; closing it takes the worker's consumer with it.</summary>
    private sealed class Channel
    {
        public bool Open { get; set; } = true;
    }

    private static bool Deliver(PartitionShare share, string source, Channel channel) => share.StepsAside(source, channel, () => channel.Open);

    [Fact]
    public void A_worker_alone_keeps_every_partition()
    {
        var share = Share(4);
        var channels = Enumerable.Range(0, 4).Select(_ => new Channel()).ToArray();
        for (var round = 0; round < 3; round++)
            for (var p = 0; p < 4; p++)
                Assert.False(Deliver(share, $"q.{p}", channels[p]));
        Assert.Equal(4, share.Held);
        Assert.Equal(4, share.Share);
    }

    [Fact]
    public void With_a_second_worker_the_first_hands_on_the_partitions_beyond_its_share_one_delivery_each_and_then_keeps_the_rest()
    {
        var share = Share(4);
        var channels = Enumerable.Range(0, 4).Select(_ => new Channel()).ToArray();
        for (var p = 0; p < 4; p++)
            Deliver(share, $"q.{p}", channels[p]);

        share.Attached(2);
        Assert.Equal(2, share.Share);
        var handedOn = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            for (var p = 0; p < 4; p++)
            {
                if (channels[p].Open && Deliver(share, $"q.{p}", channels[p]))
                {
                    handedOn.Add($"q.{p}");
                    channels[p].Open = false; // the hand-over closes the channel
                }
            }
        }
        Assert.Equal(["q.0", "q.1"], handedOn); // the first deliveries beyond the share, one partition each
        Assert.Equal(2, share.Held);
    }

    [Fact]
    public void A_partition_handed_on_and_back_within_a_minute_is_kept_then_given_up_again_after()
    {
        var share = Share(2);
        var first = new Channel();
        Deliver(share, "q.0", first);
        Deliver(share, "q.1", new Channel());
        share.Attached(2);
        Assert.True(Deliver(share, "q.0", first));
        first.Open = false;

        // Back on a new channel (the other worker was gone before the count said so): kept, not bounced.
        _time.Advance(TimeSpan.FromSeconds(30));
        var again = new Channel();
        Assert.False(Deliver(share, "q.0", again));
        Assert.Equal(2, share.Held);

        _time.Advance(PartitionShare.StepAsideAgainAfter);
        Assert.True(Deliver(share, "q.0", again));
    }

    [Fact]
    public void A_closed_channel_no_longer_counts_as_held()
    {
        var share = Share(4);
        var channels = Enumerable.Range(0, 3).Select(_ => new Channel()).ToArray();
        for (var p = 0; p < 3; p++)
            Deliver(share, $"q.{p}", channels[p]);
        share.Attached(2);
        channels[0].Open = false;
        channels[1].Open = false; // the broker connection dropped: MassTransit's new consumers are standbys
        Assert.Equal(1, share.Held);
        Assert.False(Deliver(share, "q.3", new Channel())); // 2 held, the share
    }

    [Theory]
    [InlineData(false, true, 4)]  // spreading switched off
    [InlineData(true, false, 4)]  // no single active consumer: every worker consumes every partition anyway
    [InlineData(true, true, 1)]   // one partition: nothing to spread
    public void Nothing_is_handed_on_when_there_is_nothing_to_spread(bool spread, bool singleActive, int partitions)
    {
        var share = Share(partitions, spread, singleActive);
        share.Attached(4);
        for (var p = 0; p < partitions; p++)
            Assert.False(Deliver(share, $"q.{p}", new Channel()));
        Assert.Equal(partitions, share.Held);
    }

    [Fact]
    public void Three_workers_on_eight_partitions_hold_at_most_three_each()
    {
        var share = Share(8);
        share.Attached(3);
        var kept = 0;
        for (var p = 0; p < 8; p++)
            kept += Deliver(share, $"q.{p}", new Channel()) ? 0 : 1;
        Assert.Equal(3, kept);
        Assert.Equal(3, share.Held);
    }
}
