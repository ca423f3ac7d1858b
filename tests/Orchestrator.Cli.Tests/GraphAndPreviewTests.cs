using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli.Tests;

public sealed class GraphAndPreviewTests
{
    [Fact]
    public void The_graph_of_a_journey_is_a_mermaid_flowchart_with_every_step()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, GraphCommand.Run(RepoPaths.Journeys, "cart-recovery", output, errors));
        var graph = output.ToString();
        Assert.StartsWith("flowchart TD", graph, StringComparison.Ordinal);
        var journey = Core.Journeys.JourneyLoader.LoadFolder(RepoPaths.Journeys).Journeys.Single(j => j.Id == "cart-recovery");
        foreach (var step in journey.Steps)
            Assert.Contains(step.Id, graph, StringComparison.Ordinal);
        Assert.Contains("-- \"timeout\" -->", graph, StringComparison.Ordinal);
    }

    [Fact]
    public void Preview_renders_subject_html_and_text_for_a_customer()
    {
        var journey = Core.Journeys.JourneyLoader.LoadFolder(RepoPaths.Journeys).Journeys.Single(j => j.Id == "cart-recovery");
        var step = journey.Steps.OfType<Core.Journeys.EmailStep>().First();
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = PreviewCommand.Run(RepoPaths.Journeys, "cart-recovery", step.Id,
            """{"email":"ann@example.com","firstName":"Ann"}""", """{"cartId":"k-9","total":84.5,"itemCount":3}""", output, errors);
        Assert.True(exit == 0, errors.ToString() + output);
        var text = output.ToString();
        Assert.Contains("To:      ann@example.com", text, StringComparison.Ordinal);
        Assert.Contains("Subject: ", text, StringComparison.Ordinal);
        Assert.Contains("--- HTML ---", text, StringComparison.Ordinal);
        Assert.Contains("Ann", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Preview_of_a_step_that_is_not_an_email_says_which_steps_are()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var journey = Core.Journeys.JourneyLoader.LoadFolder(RepoPaths.Journeys).Journeys.Single(j => j.Id == "cart-recovery");
        var wait = journey.Steps.First(s => s.Kind == "wait");
        Assert.Equal(1, PreviewCommand.Run(RepoPaths.Journeys, "cart-recovery", wait.Id, "{}", null, output, errors));
        Assert.Contains("is not an email step; email steps:", errors.ToString(), StringComparison.Ordinal);
    }
}
