using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>The journey graph: the ways out of each step kind, worked out by hand from the files.</summary>
public sealed class JourneyGraphTests : IDisposable
{
    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Edges(JourneyDefinition journey, string stepId) =>
        string.Join("; ", journey.Graph.Successors(journey.FindStep(stepId)!).Select(e => $"{e.Kind} {e.Label ?? "-"} -> {e.To ?? "(end)"}"));

    private JourneyDefinition LoadOne(string yaml)
    {
        _folder.Journey("demo.yaml", yaml);
        var result = _folder.Load();
        Assert.Empty(result.Errors);
        return Assert.Single(result.Journeys);
    }

    [Fact]
    public void The_cart_recovery_sample_has_the_edges_its_file_describes()
    {
        var journey = JourneyLoader.LoadFolder(RepositoryFolders.Journeys).Journeys.Single(j => j.Id == "cart-recovery");

        Assert.Equal("Next - -> reminder", Edges(journey, "wait-1h"));
        Assert.Equal("Next - -> wait-for-order", Edges(journey, "reminder"));
        Assert.Equal("Event order.placed -> thanks; Timeout timeout -> offer-test", Edges(journey, "wait-for-order"));
        Assert.Equal("Variant discount 40% -> discount-mail; Variant last-call 40% -> last-call-mail; Variant control 20% -> end", Edges(journey, "offer-test"));
        Assert.Equal("Next - -> end", Edges(journey, "discount-mail"));
        Assert.Equal("Case customer.attributes.vip == true -> vip-thanks; Else else -> end", Edges(journey, "thanks"));
        Assert.Equal("Next - -> end", Edges(journey, "vip-thanks"));
        Assert.Equal("", Edges(journey, "end"));
        Assert.Empty(journey.Graph.CyclesWithoutWait());
        Assert.Empty(journey.Graph.Unreachable());
    }

    [Fact]
    public void Every_sample_journey_reaches_every_step_and_loops_only_through_a_wait()
    {
        foreach (var journey in JourneyLoader.LoadFolder(RepositoryFolders.Journeys).Journeys)
        {
            Assert.Empty(journey.Graph.CyclesWithoutWait());
            Assert.Empty(journey.Graph.Unreachable());
        }
    }

    [Fact]
    public void Steps_without_next_go_to_the_step_after_them_and_the_last_to_the_end()
    {
        var journey = LoadOne("""
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: first
                wait: 1h
              - id: second
                wait: 2h
                next: fourth
              - id: third
                wait: 3h
              - id: fourth
                wait: 4h
            """);

        Assert.Equal("second", journey.Graph.Following(journey.FindStep("first")!));
        Assert.Equal("fourth", journey.Graph.Following(journey.FindStep("second")!));
        Assert.Equal("fourth", journey.Graph.Following(journey.FindStep("third")!));
        Assert.Null(journey.Graph.Following(journey.FindStep("fourth")!));
        Assert.Equal("Next - -> (end)", Edges(journey, "fourth"));
        Assert.Equal(["third"], journey.Graph.Unreachable().Select(s => s.Id));
    }

    [Fact]
    public void A_branch_without_else_falls_back_to_its_next_and_one_with_else_to_the_else()
    {
        var journey = LoadOne("""
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: without-else
                branch:
                  - when: "event.properties.total > 1"
                    next: with-else
              - id: with-else
                branch:
                  - when: "event.properties.total > 2"
                    next: last
                  - else: without-else-next
                next: last
              - id: without-else-next
                wait: 1h
              - id: last
                wait: 1h
            """);

        Assert.Equal("Case event.properties.total > 1 -> with-else; Else else -> with-else", Edges(journey, "without-else"));
        Assert.Equal("Case event.properties.total > 2 -> last; Else else -> without-else-next", Edges(journey, "with-else"));
    }

    [Fact]
    public void A_split_variant_without_next_goes_where_the_split_goes()
    {
        var journey = LoadOne("""
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: test
                split:
                  - variant: a
                    weight: 1
                    next: later
                  - variant: control
                    weight: 2
                    control: true
              - id: soon
                wait: 1h
              - id: later
                wait: 1h
            """);

        Assert.Equal("Variant a 33.3% -> later; Variant control 66.7% -> soon", Edges(journey, "test"));
    }

    [Fact]
    public void A_wait_for_has_an_event_edge_and_a_timeout_edge_only_with_a_timeout()
    {
        var journey = LoadOne("""
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: with-timeout
                wait_for:
                  event: order.placed
                  timeout: 1d
                  on_timeout: last
              - id: without-timeout
                wait_for:
                  event: order.placed
                  on_event: last
              - id: last
                wait: 1h
            """);

        Assert.Equal("Event order.placed -> without-timeout; Timeout timeout -> last", Edges(journey, "with-timeout"));
        Assert.Equal("Event order.placed -> last", Edges(journey, "without-timeout"));
        Assert.True(JourneyGraph.Waits(journey.FindStep("with-timeout")!));
    }

    [Fact]
    public void A_loop_without_a_wait_is_found_in_file_order_and_one_through_a_wait_is_not()
    {
        var looping = new JourneyGraph([
            new BranchStep("a", null, new SourceLocation("f", 1, 1), [], "b"),
            new BranchStep("b", "a", new SourceLocation("f", 2, 1), [], null),
            new WaitStep("c", "a", new SourceLocation("f", 3, 1), TimeSpan.FromHours(1)),
        ]);
        var waiting = new JourneyGraph([
            new BranchStep("a", null, new SourceLocation("f", 1, 1), [], "c"),
            new WaitStep("c", "a", new SourceLocation("f", 3, 1), TimeSpan.FromHours(1)),
        ]);

        Assert.Equal(["a", "b"], Assert.Single(looping.CyclesWithoutWait()).Select(s => s.Id));
        Assert.Equal(["c"], looping.Unreachable().Select(s => s.Id));
        Assert.Empty(waiting.CyclesWithoutWait());
        Assert.False(JourneyGraph.Waits(new ExitStep("x", null, new SourceLocation("f", 1, 1))));
    }
}
