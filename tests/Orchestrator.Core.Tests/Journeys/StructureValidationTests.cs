using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>YAML syntax, required fields, ids, unknown fields and step kinds.</summary>
public sealed class StructureValidationTests : IDisposable
{
    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_minimal_journey_loads_without_diagnostics()
    {
        _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        var journey = Assert.Single(result.Journeys);
        Assert.Equal("demo", journey.Id);
        Assert.Empty(result.BrokenFiles);
    }

    [Fact]
    public void An_unclosed_quote_is_a_yaml_error_where_the_quote_starts()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: "Demo
            entry:
              event: x
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 2, 7, "this is not valid YAML");
        Expect.Error(result, file, 2, 7, "a quoted value is not closed");
        Expect.ErrorCount(result, 1);
        Assert.Equal([file], result.BrokenFiles);
    }

    [Fact]
    public void A_yaml_error_is_reported_as_file_line_column_and_message()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo: the return
            entry:
              event: x
            """);

        var result = _folder.Load();

        var error = Expect.Error(result, file, 2, 11, "put quotes around a value that contains ': '");
        Assert.StartsWith($"{file}:2:11: this is not valid YAML: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_list_at_the_end_of_the_file_is_a_yaml_error()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: [1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 1, "a '[' list is not closed");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_unclosed_flow_mapping_is_a_yaml_error_not_a_crash()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry: { event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 3, 15, "check that every '{' and '[' is closed");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_tab_used_for_indentation_is_reported_on_its_line()
    {
        var file = _folder.Journey("demo.yaml", "id: demo\nname: Demo\nentry:\n\tevent: x\nsteps:\n  - id: pause\n    wait: 1h");

        var result = _folder.Load();

        Expect.Error(result, file, 4, 1, "indent with spaces, not tabs");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_field_written_twice_is_a_yaml_error_at_the_second_one()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            name: Other
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 3, 1, "'name' appears twice in the same mapping; keep only one");
    }

    [Fact]
    public void An_empty_file_is_reported()
    {
        var file = _folder.Journey("demo.yaml", "# nothing yet");

        var result = _folder.Load();

        Expect.Error(result, file, 1, 1, "a journey file must be a YAML mapping with at least 'id', 'name', 'entry' and 'steps'");
        Assert.Equal([file], result.BrokenFiles);
    }

    [Fact]
    public void Missing_id_name_entry_and_steps_are_each_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            description: Nothing but a description
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 1, 1, "the journey has no 'id'");
        Expect.Error(result, file, 1, 1, "the journey has no 'name'");
        Expect.Error(result, file, 1, 1, "the journey has no 'entry': add 'entry:'");
        Expect.Error(result, file, 1, 1, "the journey has no 'steps': add a list of steps");
        Expect.ErrorCount(result, 4);
    }

    [Fact]
    public void An_entry_without_an_event_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              when: "true"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 4, 3, "'entry' has no 'event': name the event type that starts the journey");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void Empty_steps_are_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps: []
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 8, "'steps' must be a non-empty list of steps");
    }

    [Fact]
    public void A_journey_id_with_capitals_or_underscores_is_rejected_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: Cart_Recovery
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 1, 5, "id 'Cart_Recovery' may only contain lowercase letters, digits and single dashes");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_step_id_with_capitals_is_rejected_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: Pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 9, "step id 'Pause' may only contain lowercase letters, digits and single dashes");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_unknown_journey_field_suggests_the_closest_known_field()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            sendwindow:
              from: "09:00"
              to: "17:00"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 1, "unknown field 'sendwindow' in journey; did you mean 'send_window'?");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_unknown_field_in_entry_suggests_the_closest_known_field()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              wehn: "true"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 3, "unknown field 'wehn' in entry; did you mean 'when'?");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_unknown_field_in_goal_exit_and_wait_for_suggests_the_closest_known_field()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            goal:
              event: order.placed
              whithin: 7d
            exit:
              - event: account.deleted
                wen: "true"
            steps:
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  timeout: 1d
                  on_timout: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 3, "unknown field 'whithin' in goal; did you mean 'within'?");
        Expect.Error(result, file, 10, 5, "unknown field 'wen' in exit criterion; did you mean 'when'?");
        Expect.Error(result, file, 16, 7, "unknown field 'on_timout' in wait_for; did you mean 'on_timeout'?");
        Expect.ErrorCount(result, 3);
    }

    [Fact]
    public void An_unknown_step_field_suggests_the_closest_kind()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wiat: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 5, "unknown step field 'wiat'; did you mean 'wait'?");
        Expect.Error(result, file, 6, 5, "step 'pause' has no kind");
    }

    [Fact]
    public void An_unknown_field_in_email_suggests_the_closest_known_field()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: hello
                  subjet: Hi
            """);
        _folder.SimpleTemplate("hello");

        var result = _folder.Load();

        Expect.Error(result, file, 9, 7, "unknown field 'subjet' in email; did you mean 'subject'?");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_step_with_two_kinds_is_reported_at_the_step()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 5, "step 'pause' has 2 kinds (wait, exit): split it into one step per kind");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_step_without_a_kind_is_reported_at_the_step()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
              - id: nothing
                description: forgot what it does
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 5, "step 'nothing' has no kind: give it exactly one of email, wait, wait_until, wait_for, branch, split, exit");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_step_without_an_id_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 5, "the step has no 'id'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_exit_step_with_a_next_is_reported_at_the_next()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
              - id: done
                exit: {}
                next: pause
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 10, 11, "an 'exit' step ends the instance, so it cannot have a 'next'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_exit_step_with_settings_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: done
                exit:
                  reason: bored
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 7, "'exit' takes no settings: write 'exit: {}'");
    }

    [Fact]
    public void A_branch_case_without_when_is_reported_at_the_case()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: check
                branch:
                  - next: done
                  - else: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 9, "a branch case needs a 'when' condition");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_else_that_is_not_the_last_case_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: check
                branch:
                  - else: done
                  - when: "customer.attributes.vip == true"
                    next: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 9, "'else' must be the last case of a branch");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void On_timeout_without_a_timeout_is_reported()
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
                  on_timeout: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 9, 19, "'on_timeout' needs a 'timeout'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void Positions_count_a_leading_comment_line()
    {
        var file = _folder.Journey("demo.yaml", """
            # yaml-language-server: $schema=./journey.schema.json
            id: Demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 2, 5, "id 'Demo' may only contain");
    }
}
