using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>Work that arrives while the store is busy is decided together, each caller getting its own answers in its order.</summary>
public sealed class GroupCommitTests
{
    private static EngineHarness Welcome() => new EngineHarness()
        .WithJourney("""
            id: welcome
            name: Welcome
            entry:
              event: signed.up
            steps:
              - id: hello
                email: { template: hello }
            """)
        .WithTemplate("hello", "Hello");

    private static CustomerEvent SignUp(string customerId, string eventId) => new()
    {
        EventId = eventId,
        CustomerId = customerId,
        Type = "signed.up",
        OccurredAt = EngineHarness.DefaultStart,
        Customer = new CustomerProfileUpdate { Email = $"{customerId}@example.com" },
    };

    [Fact]
    public async Task Submissions_that_arrive_while_a_batch_runs_are_decided_together_in_the_next_one()
    {
        using var h = Welcome().Load();
        using var memory = new InMemoryJourneyStore();
        var store = new HeldStore(memory);
        var commits = new GroupCommit(new EventProcessor(h.Engine, store, () => h.Catalog), maxItems: 4);

        var first = commits.SubmitAsync([Work.Of(SignUp("c-1", "e-1"))]);
        await store.Entered.WaitAsync(TimeSpan.FromSeconds(10));
        // While the first is held in the store, three callers submit: one of two events, two of one.
        var second = commits.SubmitAsync([Work.Of(SignUp("c-2", "e-2")), Work.Of(SignUp("c-2", "e-2b"))]);
        var third = commits.SubmitAsync([Work.Of(SignUp("c-3", "e-3"))]);
        var fourth = commits.SubmitAsync([Work.Of(SignUp("c-4", "e-4")), Work.Of(SignUp("c-1", "e-1"))]);
        Assert.False(second.IsCompleted || third.IsCompleted || fourth.IsCompleted);
        store.Release();

        var answers = await Task.WhenAll(first, second, third, fourth).WaitAsync(TimeSpan.FromSeconds(10));
        // The first alone; then as many whole submissions as fit in 4 (second and third); then the fourth.
        Assert.Equal([1, 3, 2], store.BatchSizes);
        Assert.All(answers.SelectMany(a => a), r => Assert.Null(r.Failure));
        Assert.Equal(["c-1"], answers[0].Select(r => r.Decision!.State.CustomerId));
        Assert.Equal(["c-2", "c-2"], answers[1].Select(r => r.Decision!.State.CustomerId));
        // In the caller's order: c-2's second sign-up comes after its first and finds it entered.
        Assert.Single(answers[1][0].Decision!.Sends);
        Assert.Empty(answers[1][1].Decision!.Sends);
        Assert.Equal(["c-3"], answers[2].Select(r => r.Decision!.State.CustomerId));
        Assert.Equal("c-4", answers[3][0].Decision!.State.CustomerId);
        Assert.Null(answers[3][1].Decision); // e-1 again: decided before, a duplicate
        Assert.Equal(5, memory.Decisions.Count);
    }

    [Fact]
    public async Task A_committed_batch_that_queued_sends_wakes_the_sender_once_and_one_without_sends_does_not()
    {
        using var h = Welcome().Load();
        using var memory = new InMemoryJourneyStore();
        var signal = new OutboxSignal();
        var wakes = 0;
        signal.Committed += () => wakes++;
        var commits = new GroupCommit(new EventProcessor(h.Engine, memory, () => h.Catalog), signal);

        await commits.SubmitAsync([Work.Of(SignUp("c-1", "e-1")), Work.Of(SignUp("c-2", "e-2"))]);
        Assert.Equal(1, wakes);
        // A repeat and a customer with nothing due: nothing queued, nobody woken.
        await commits.SubmitAsync([Work.Of(SignUp("c-1", "e-1")), Work.Due("c-9")]);
        Assert.Equal(1, wakes);
    }

    [Fact]
    public async Task A_piece_that_fails_fails_alone_and_the_others_of_its_batch_are_decided()
    {
        using var h = Welcome().Load();
        using var memory = new InMemoryJourneyStore();
        var store = new HeldStore(memory, failFor: "c-2") { Hold = false };
        var processor = new EventProcessor(h.Engine, store, () => h.Catalog);

        var results = await processor.ProcessBatchAsync([Work.Of(SignUp("c-1", "e-1")), Work.Of(SignUp("c-2", "e-2")), Work.Due("c-3"), Work.Of(SignUp("c-3", "e-3"))], CancellationToken.None);

        Assert.IsType<InvalidDataException>(results[1].Failure);
        Assert.Null(results[2].Decision); // nothing was due for a customer never seen
        Assert.Equal(["c-1", "c-3"], new[] { results[0], results[3] }.Select(r => r.Decision!.State.CustomerId));
        Assert.Equal(["c-1", "c-3"], memory.Decisions.Select(d => d.State.CustomerId));
        // The batch failed as a whole, then each piece was tried in its own unit.
        Assert.Equal([4], store.BatchSizes);
        Assert.Equal(4, store.Alone);
    }

    /// <summary>The in-memory store, held at its first begin until released, counting batches; a customer's save can be made to fail.</summary>
    private sealed class HeldStore(InMemoryJourneyStore inner, string? failFor = null) : IJourneyStore
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Hold { get; init; } = true;

        public Task Entered => _entered.Task;

        public List<int> BatchSizes { get; } = [];

        public int Alone { get; private set; }

        public void Release() => _released.TrySetResult();

        public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken)
        {
            await HoldAsync();
            Alone++;
            if (BatchSizes.Count == 0)
                BatchSizes.Add(1);
            return new Failing(await inner.BeginAsync(customerId, cancellationToken), customerId == failFor);
        }

        public async Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken)
        {
            await HoldAsync();
            BatchSizes.Add(customerIds.Count);
            return new FailingBatch(await inner.BeginBatchAsync(customerIds, cancellationToken), failFor);
        }

        private async Task HoldAsync()
        {
            _entered.TrySetResult();
            if (Hold)
                await _released.Task;
        }
    }

    private sealed class FailingBatch(IJourneyBatch inner, string? failFor) : IJourneyBatch
    {
        public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken) =>
            new Failing(await inner.BeginAsync(customerId, cancellationToken), customerId == failFor);

        public Task CommitAsync(CancellationToken cancellationToken) => inner.CommitAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class Failing(IJourneyUnitOfWork inner, bool fail) : IJourneyUnitOfWork
    {
        public Task<bool> TryAddToInboxAsync(CustomerEvent evt, CancellationToken cancellationToken) => inner.TryAddToInboxAsync(evt, cancellationToken);

        public Task<CustomerState?> LoadCustomerAsync(CancellationToken cancellationToken) => inner.LoadCustomerAsync(cancellationToken);

        public Task<Orchestrator.Core.Analysis.SendReference?> FindSendAsync(string sendKey, CancellationToken cancellationToken) => inner.FindSendAsync(sendKey, cancellationToken);

        public Task<Orchestrator.Core.Analysis.SendReference?> LastSentAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) =>
            inner.LastSentAsync(since, until, cancellationToken);

        public Task<IReadOnlyDictionary<string, string>> SuppressedAmongAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken) =>
            inner.SuppressedAmongAsync(addresses, cancellationToken);

        public Task SaveAsync(Decision decision, CancellationToken cancellationToken) =>
            fail ? throw new InvalidDataException($"poison for {decision.State.CustomerId}") : inner.SaveAsync(decision, cancellationToken);

        public Task CommitAsync(CancellationToken cancellationToken) => inner.CommitAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
