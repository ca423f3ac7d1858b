using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>Step references (next, on_event, on_timeout, branch, split), duplicate ids, loops and unreachable steps.</summary>
public sealed class ReferenceValidationTests : IDisposable
{
    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void An_unknown_next_names_the_closest_step_id()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: wait-1h
                wait: 1h
                next: remindr
              - id: reminder
                wait: 1h
            """);

        var result = _folder.Load();

        Assert.Contains(result.Diagnostics, d => d.ToString() ==
            $"{file}:8:11: step 'wait-1h': next 'remindr' is not a step of this journey; did you mean 'reminder'?");
        Expect.ErrorCount(result, 1);
        Assert.Empty(result.Journeys);
    }

    [Fact]
    public void An_unknown_next_far_from_every_step_id_gets_no_suggestion()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
                next: send-the-newsletter
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        var error = Expect.Error(result, file, 8, 11, "next 'send-the-newsletter' is not a step of this journey");
        Assert.DoesNotContain("did you mean", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_on_event_and_on_timeout_are_reported_at_their_values()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  timeout: 1d
                  on_event: thanx
                  on_timeout: ofer
              - id: offer
                wait: 1h
              - id: thanks
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 10, 17, "step 'wait-for-order': on_event 'thanx' is not a step of this journey; did you mean 'thanks'?");
        Expect.Error(result, file, 11, 19, "step 'wait-for-order': on_timeout 'ofer' is not a step of this journey; did you mean 'offer'?");
        Expect.ErrorCount(result, 2);
    }

    [Fact]
    public void Unknown_branch_next_and_else_are_reported_at_their_values()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: check
                branch:
                  - when: "customer.attributes.vip == true"
                    next: vip-thank
                  - else: endd
              - id: vip-thanks
                wait: 1h
              - id: end
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 9, 15, "step 'check': branch next 'vip-thank' is not a step of this journey; did you mean 'vip-thanks'?");
        Expect.Error(result, file, 10, 15, "step 'check': else 'endd' is not a step of this journey; did you mean 'end'?");
        Expect.ErrorCount(result, 2);
    }

    [Fact]
    public void An_unknown_split_next_is_reported_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: offer-test
                split:
                  - variant: discount
                    weight: 50
                    next: discount-mial
                  - variant: control
                    weight: 50
                    next: end
              - id: discount-mail
                wait: 1h
              - id: end
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 10, 15, "step 'offer-test': variant 'discount' next 'discount-mial' is not a step of this journey; did you mean 'discount-mail'?");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_duplicate_step_id_is_reported_at_the_second_step_with_the_line_of_the_first()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
              - id: pause
                wait: 2h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 5, "step id 'pause' is already used at line 6; step ids must be unique in a journey");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_duplicate_journey_id_across_two_files_is_reported_in_the_second_file()
    {
        var first = _folder.Journey("a.yaml", """
            id: same
            name: First
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);
        var second = _folder.Journey("b.yaml", """
            # the copy
            id: same
            name: Second
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, second, 2, 5, $"journey id 'same' is already used by {first}:1; journey ids must be unique across all files");
        Expect.ErrorCount(result, 1);
        Assert.Equal("First", Assert.Single(result.Journeys).Name);
        Assert.Equal([second], result.BrokenFiles);
    }

    [Fact]
    public void A_loop_without_a_wait_is_an_error()
    {
        _folder.SimpleTemplate("hello");
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: hello
              - id: again
                branch:
                  - when: "customer.attributes.vip == true"
                    next: hello
                  - else: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 5, "these steps form a loop with no wait in it: hello → again → hello; add a 'wait', 'wait_until' or 'wait_for' step inside the loop");
        Expect.ErrorCount(result, 1);
        Assert.Empty(result.Journeys);
    }

    [Fact]
    public void A_step_whose_next_is_itself_is_a_loop_without_a_wait()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
              - id: check
                branch:
                  - when: "customer.attributes.vip == true"
                    next: check
                  - else: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 5, "these steps form a loop with no wait in it: check → check");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_loop_through_a_wait_is_fine()
    {
        _folder.SimpleTemplate("hello");
        _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: hello
              - id: pause
                wait: 7d
              - id: again
                branch:
                  - when: "customer.attributes.vip == true"
                    next: hello
                  - else: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        Assert.Single(result.Journeys);
    }

    [Fact]
    public void A_loop_through_a_wait_for_is_fine()
    {
        _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: wait-for-click
                wait_for:
                  event: email.clicked
                  timeout: 1d
                  on_event: done
                  on_timeout: check
              - id: check
                branch:
                  - when: "customer.attributes.vip == true"
                    next: wait-for-click
                  - else: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
    }

    [Fact]
    public void A_step_with_an_error_still_counts_as_a_step_and_causes_no_guessed_loop_or_warning()
    {
        _folder.SimpleTemplate("hello");
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: hello
              - id: pause
                wait: 1 week
              - id: again
                branch:
                  - when: "customer.attributes.vip == true"
                    next: pause
                  - else: hello
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 10, 11, "wait '1 week' is not a duration");
        Assert.True(result.Diagnostics.Count == 1, Expect.Describe(result));
    }

    [Fact]
    public void A_missing_template_does_not_hide_a_loop_or_an_unreachable_step_of_the_same_file()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: nowhere
              - id: again
                branch:
                  - when: "customer.attributes.vip == true"
                    next: hello
                  - else: done
              - id: forgotten
                wait: 1h
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 17, "template 'nowhere' not found");
        Expect.Error(result, file, 6, 5, "these steps form a loop with no wait in it: hello → again → hello");
        Expect.Warning(result, file, 14, 5, "step 'forgotten' can never be reached");
        Expect.ErrorCount(result, 2);
    }

    [Fact]
    public void An_unreachable_step_is_a_warning_and_the_journey_still_loads()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
                next: done
              - id: forgotten
                wait: 1h
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        var warning = Expect.Warning(result, file, 9, 5, "step 'forgotten' can never be reached: no step leads to it; point a 'next' at it or remove it");
        Assert.Equal($"{file}:9:5: warning: {warning.Message}", warning.ToString());
        Assert.False(result.HasErrors);
        Assert.Single(result.Journeys);
        Assert.Empty(result.BrokenFiles);
    }

    [Fact]
    public void A_step_after_an_exit_step_is_unreachable()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: done
                exit: {}
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Warning(result, file, 8, 5, "step 'pause' can never be reached");
        Assert.False(result.HasErrors);
    }
}
