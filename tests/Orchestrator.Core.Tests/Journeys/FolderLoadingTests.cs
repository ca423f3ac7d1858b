using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>Loading a whole folder: every error of every file, and broken files never hide valid ones.</summary>
public sealed class FolderLoadingTests : IDisposable
{
    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void One_run_reports_every_error_of_every_broken_file_and_still_loads_the_valid_ones()
    {
        var yamlError = _folder.Journey("a-yaml-error.yaml", """
            id: yaml-error
            name: "Unclosed
            """);
        var twoErrors = _folder.Journey("b-two-errors.yaml", """
            id: two-errors
            name: Two errors
            entry:
              event: x
              reentry: sometimes
            steps:
              - id: pause
                wait: 1hour
            """);
        var valid = _folder.Journey("c-valid.yaml", """
            id: valid
            name: Valid
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: hello
            """);
        var missingTemplate = _folder.Journey("d-missing-template.yaml", """
            id: missing-template
            name: Missing template
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: helo
                next: nowhere
            """);
        var alsoValid = _folder.Journey("e-also-valid.yml", """
            id: also-valid
            name: Also valid
            entry:
              event: y
            steps:
              - id: pause
                wait: 2d
            """);
        _folder.SimpleTemplate("hello");

        var result = _folder.Load();

        Expect.Error(result, yamlError, 2, 7, "this is not valid YAML");
        Expect.Error(result, twoErrors, 5, 12, "reentry 'sometimes' is not valid");
        Expect.Error(result, twoErrors, 8, 11, "wait '1hour' is not a duration");
        Expect.Error(result, missingTemplate, 8, 17, "template 'helo' not found: create journeys/templates/helo.liquid; did you mean 'hello'?");
        Expect.Error(result, missingTemplate, 9, 11, "next 'nowhere' is not a step of this journey");
        Expect.ErrorCount(result, 5);
        Assert.Equal(["also-valid", "valid"], result.Journeys.Select(j => j.Id).Order(StringComparer.Ordinal));
        Assert.Equal([yamlError, twoErrors, missingTemplate], result.BrokenFiles);
        Assert.DoesNotContain(result.Diagnostics, d => d.Location.File == valid || d.Location.File == alsoValid);
    }

    [Fact]
    public void A_folder_that_does_not_exist_is_one_error()
    {
        var missing = Path.Combine(_folder.Root, "nope");

        var result = JourneyLoader.LoadFolder(missing);

        Expect.Error(result, missing, 1, 1, "the journeys folder does not exist");
        Assert.Empty(result.Journeys);
    }

    [Fact]
    public void A_template_that_no_journey_uses_is_a_warning_in_its_own_file()
    {
        _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: hello
                email:
                  template: hello
            """);
        _folder.SimpleTemplate("hello");
        _folder.TextPart("hello", "Hello");
        var unused = _folder.SimpleTemplate("old-promo");
        var orphanText = _folder.TextPart("goodbye", "Bye");

        var result = _folder.Load();

        Expect.ErrorCount(result, 0);
        Expect.Warning(result, unused, 1, 1, "template 'old-promo' is not used by any journey");
        Expect.Warning(result, orphanText, 1, 1, "the plain-text part 'goodbye.txt.liquid' has no HTML template 'goodbye.liquid'");
        Assert.Equal(2, result.Diagnostics.Count);
        Assert.Equal(["demo"], result.Journeys.Select(j => j.Id));
    }

    [Fact]
    public void A_template_used_only_by_a_broken_journey_is_not_called_unused()
    {
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
                wait: 1hour
            """);
        _folder.SimpleTemplate("hello");

        var result = _folder.Load();

        Expect.ErrorCount(result, 1);
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning);
    }

    [Fact]
    public void Load_text_reports_the_same_errors_for_a_journey_held_in_memory()
    {
        var result = JourneyLoader.LoadText("memory.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1hour
            """, _folder.TemplateFolder);

        Expect.Error(result, "memory.yaml", 7, 11, "wait '1hour' is not a duration");
        Assert.Equal(["memory.yaml"], result.BrokenFiles);
    }

    [Fact]
    public void The_complete_example_of_the_format_document_loads_as_written()
    {
        foreach (var name in new[] { "cart-reminder", "cart-discount", "cart-plain", "vip-thanks" })
            _folder.SimpleTemplate(name);
        _folder.Journey("cart-recovery.yaml", """
            id: cart-recovery                 # required; [a-z0-9-]+; unique across all files
            name: Abandoned cart recovery     # required; shown in reports
            description: Bring shoppers back to carts they left behind.
            phase: purchase                   # optional label used to group reports

            entry:
              event: cart.abandoned           # required: the event type that starts an instance
              when: "event.properties.total >= 20"   # optional condition (expression, see below)
              key: event.properties.cartId    # optional: instance key; default is one instance per customer
              reentry: after 7d               # never (default) | always | after <duration>

            goal:                             # optional: what counts as conversion
              event: order.placed
              when: "event.properties.cartId == entry.properties.cartId"
              within: 7d                      # attribution window from entry; default: until the instance ends
              exit: false                     # end the instance when converted (default true)

            exit:                             # optional: events that end the instance immediately
              - event: account.deleted
              - event: cart.emptied
                when: "event.properties.cartId == entry.properties.cartId"

            send_window:                      # optional: sends outside it wait for the next opening,
              days: [mon, tue, wed, thu, fri, sat]   # in the customer's time zone (profile timeZone,
              from: "09:00"                   # else the journey's `time_zone`, else UTC)
              to: "21:00"
            time_zone: Europe/Amsterdam       # optional fallback zone (IANA)

            steps:                            # executed in order; `next` jumps; the end of the list completes
              - id: wait-1h
                wait: 1h
              - id: reminder
                email:
                  template: cart-reminder     # journeys/templates/cart-reminder.liquid (see Templates)
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  when: "event.properties.cartId == entry.properties.cartId"
                  timeout: 1d
                  on_event: thanks            # step ids
                  on_timeout: offer-test
              - id: offer-test
                split:                        # deterministic weighted assignment per instance
                  - variant: discount
                    weight: 45
                    next: discount-mail
                  - variant: no-discount
                    weight: 45
                    next: plain-mail
                  - variant: control          # a holdout: receives nothing, still measured against the goal
                    weight: 10
                    next: end
              - id: discount-mail
                email:
                  template: cart-discount
                next: end
              - id: plain-mail
                email:
                  template: cart-plain
                next: end
              - id: thanks
                branch:
                  - when: "customer.attributes.vip == true"
                    next: vip-thanks
                  - else: end
              - id: vip-thanks
                email:
                  template: vip-thanks
              - id: end
                exit: {}
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        var journey = Assert.Single(result.Journeys);
        Assert.Equal(
            ["wait", "email", "wait_for", "split", "email", "email", "branch", "email", "exit"],
            journey.Steps.Select(s => s.Kind));
        Assert.Equal(new Reentry(ReentryKind.After, TimeSpan.FromDays(7)), journey.Entry.Reentry);
        Assert.Equal(TimeSpan.FromDays(7), journey.Goal!.Within);
        Assert.False(journey.Goal.Exit);
        Assert.Equal(2, journey.Exits.Count);
        Assert.Equal(6, journey.SendWindow!.Days.Count);
        Assert.Equal(new TimeOnly(9, 0), journey.SendWindow.From);
        Assert.Equal(new TimeOnly(21, 0), journey.SendWindow.To);
        Assert.Equal(OnChange.Pin, journey.OnChange);
        var split = Assert.IsType<SplitStep>(journey.FindStep("offer-test"));
        Assert.Equal([45, 45, 10], split.Variants.Select(v => v.Weight));
        Assert.Equal(4, journey.Templates.Count);
    }
}
