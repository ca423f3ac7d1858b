using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Core.Ports;
using Orchestrator.Worker.Http;

namespace Orchestrator.Worker.Tests.Http;

/// <summary>Health probes and scrapes share one reading of the backlog for a few seconds; a failed reading is not kept.</summary>
public sealed class BacklogWatchTests
{
    private sealed class CountingReader : IBacklogReader
    {
        public int Reads;
        public Exception? Fail;

        public Task<Backlog> ReadBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Reads);
            return Fail is { } fail ? Task.FromException<Backlog>(fail) : Task.FromResult(new Backlog(now, Reads, 0, null, 0, null));
        }
    }

    [Fact]
    public async Task One_reading_serves_every_caller_until_it_is_older_than_the_cache_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));
        var reader = new CountingReader();
        using var watch = new BacklogWatch(reader, time, Options.Create(new HealthOptions { BacklogCacheSeconds = 5 }));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => watch.ReadAsync(CancellationToken.None))));
        Assert.Equal(1, watch.ReadForScrape()!.QueuedSends);
        time.Advance(TimeSpan.FromSeconds(4.9));
        await watch.ReadAsync(CancellationToken.None);
        Assert.Equal(1, reader.Reads);

        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, (await watch.ReadAsync(CancellationToken.None)).QueuedSends);

        // A store that fails gives the scrape no number, and the next reading is tried at once.
        time.Advance(TimeSpan.FromSeconds(5));
        reader.Fail = new InvalidOperationException("database is locked");
        Assert.Null(watch.ReadForScrape());
        await Assert.ThrowsAsync<InvalidOperationException>(() => watch.ReadAsync(CancellationToken.None));
        reader.Fail = null;
        Assert.Equal(5, watch.ReadForScrape()!.QueuedSends);
    }
}
