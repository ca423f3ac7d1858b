using System.Globalization;
using System.Text.Json;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Orchestrator.Messaging;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// <see cref="EventConsumer"/> with its definition's retries, on MassTransit's in-process test harness, deciding into a
/// real SQLite database: no worker process and no broker. What the broker adds (partitions, the error queue's headers)
/// is the worker tests' (AmqpBadInputTests, AmqpDatabaseFailureTests).
/// </summary>
public sealed class EventConsumerTests : IAsyncLifetime, IDisposable
{
    private readonly TempStorage _temp = new(TimeProvider.System);
    private readonly FlakyStore _store;
    private ServiceProvider? _provider;
    private ITestHarness _harness = null!;

    public EventConsumerTests()
    {
        _temp.Write("welcome.yaml", """
            id: welcome
            name: Welcome
            entry:
              event: signed.up
            steps:
              - id: done
                exit: {}
            """);
        _store = new FlakyStore(_temp.Storage.Store);
    }

    public async Task InitializeAsync()
    {
        var loaded = JourneyLoader.LoadFolder(_temp.Journeys);
        Assert.Empty(loaded.BrokenFiles);
        var catalog = new JourneyCatalog(loaded.Journeys);
        var commits = new GroupCommit(new EventProcessor(new JourneyEngine(new SendingOptions(), TimeProvider.System), _store, () => catalog));
        var ingress = new EventIngress(commits, new CatalogSource(catalog), NullLogger<EventIngress>.Instance, TimeProvider.System, new IntakeOptions());
        _provider = new ServiceCollection()
            .AddSingleton(ingress)
            .AddSingleton(new IntakeProgress(TimeProvider.System))
            .AddSingleton(new PartitionHandover(new PartitionShare(Options.Create(new MessagingOptions()), TimeProvider.System, NullLogger<PartitionShare>.Instance), NullLogger<PartitionHandover>.Instance))
            .AddMassTransitTestHarness(bus => bus.AddConsumer<EventConsumer, EventConsumerDefinition>())
            .BuildServiceProvider(validateScopes: true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        _harness.TestTimeout = TimeSpan.FromSeconds(30);
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _harness.Stop();
            await _provider.DisposeAsync();
        }
        Dispose();
    }

    public void Dispose() => _temp.Dispose();

    private static string Now => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static UnreadEvent Message(string json) => new() { Json = JsonDocument.Parse(json).RootElement.Clone() };

    private static string SignUp(string eventId, string occurredAt) =>
        $$$"""{"eventId":"{{{eventId}}}","customerId":"c-{{{eventId}}}","type":"signed.up","occurredAt":"{{{occurredAt}}}","customer":{"email":"ann@example.com"}}""";

    private Task<IReadOnlyList<string>> InboxAsync() => StorageProbe.ColumnAsync(_temp.Database, "SELECT event_id FROM inbox ORDER BY event_id");

    private async Task<string> FaultOfAsync(string eventId)
    {
        Assert.True(await _harness.Published.Any<Fault<UnreadEvent>>(f => f.Context.Message.Message.Json.GetProperty("eventId").GetString() == eventId),
            $"no fault for {eventId}");
        var fault = _harness.Published.Select<Fault<UnreadEvent>>().Single(f => f.Context.Message.Message.Json.GetProperty("eventId").GetString() == eventId);
        var exception = Assert.Single(fault.Context.Message.Exceptions);
        Assert.Equal(typeof(InvalidEventException).FullName, exception.ExceptionType);
        return exception.Message;
    }

    [Fact]
    public async Task A_raw_event_is_read_as_HTTP_reads_it_and_decided_before_it_is_acknowledged()
    {
        await _harness.Bus.Publish(Message(SignUp("m-1", Now)));

        Assert.True(await _harness.Consumed.Any<UnreadEvent>(m => m.Context.Message.Json.GetProperty("eventId").GetString() == "m-1"));
        Assert.Equal(["m-1"], await InboxAsync());
        Assert.False(await _harness.Published.Any<Fault<UnreadEvent>>());
    }

    [Fact]
    public async Task An_event_EventJson_refuses_faults_at_once_with_HTTPs_words_and_changes_nothing()
    {
        // A time without an offset: typed deserialization took it, HTTP refuses it.
        var json = SignUp("m-2", "2026-03-02T08:00:00");
        Assert.False(EventJson.TryRead(JsonDocument.Parse(json).RootElement, out _, out var reason));

        await _harness.Bus.Publish(Message(json));

        Assert.Equal($"event m-2 rejected: {reason}", await FaultOfAsync("m-2"));
        Assert.Empty(await InboxAsync());
        Assert.Equal(0, _store.Begun); // never got as far as the database
    }

    [Fact]
    public async Task An_event_the_ingress_rejects_faults_with_its_reason()
    {
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        await _harness.Bus.Publish(Message(SignUp("m-3", tomorrow)));

        Assert.Matches("^event m-3 rejected: occurredAt .* ahead of the worker's clock", await FaultOfAsync("m-3"));
        Assert.Empty(await InboxAsync());
    }

    [Fact]
    public async Task A_passing_failure_is_retried_and_the_event_decided_once()
    {
        _store.FailNext(3, () => new InvalidOperationException("database is locked"));

        await _harness.Bus.Publish(Message(SignUp("m-4", Now)));

        await WaitUntilAsync(async () => await InboxAsync() is ["m-4"]);
        Assert.Equal(0, _store.FailuresLeft);
        Assert.False(await _harness.Published.Any<Fault<UnreadEvent>>());
    }

    [Fact]
    public async Task A_database_that_cannot_record_is_waited_for_not_faulted()
    {
        _store.FailNext(2, () => new StoreUnavailableException("the database file is gone"));

        await _harness.Bus.Publish(Message(SignUp("m-5", Now)));

        await WaitUntilAsync(async () => await InboxAsync() is ["m-5"]);
        Assert.Equal(0, _store.FailuresLeft);
        Assert.False(await _harness.Published.Any<Fault<UnreadEvent>>());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not decided in time");
            await Task.Delay(50);
        }
    }

    private sealed class CatalogSource(JourneyCatalog catalog) : IJourneyCatalogSource
    {
        public JourneyCatalog Current => catalog;
    }

    /// <summary>The real store, whose next units can be made to fail to begin, as a locked or vanished database does.</summary>
    private sealed class FlakyStore(IJourneyStore inner) : IJourneyStore
    {
        private int _failuresLeft;
        private int _begun;
        private Func<Exception> _failure = () => new InvalidOperationException();

        public int FailuresLeft => Volatile.Read(ref _failuresLeft);

        public int Begun => Volatile.Read(ref _begun);

        public void FailNext(int count, Func<Exception> failure) => (_failure, _failuresLeft) = (failure, count);

        public Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken)
        {
            Fail();
            return inner.BeginAsync(customerId, cancellationToken);
        }

        public Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken)
        {
            Fail();
            return inner.BeginBatchAsync(customerIds, cancellationToken);
        }

        private void Fail()
        {
            Interlocked.Increment(ref _begun);
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
                throw _failure();
            Interlocked.Exchange(ref _failuresLeft, 0);
        }
    }
}
