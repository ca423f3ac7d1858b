using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>Version pinning and <c>on_change: migrate</c> (docs/journey-format.md, "Semantics").</summary>
public sealed class VersioningTests
{
    private static string Journey(string subject, string onChange = "pin", string waitId = "wait-1h", string extraStep = "") => $$"""
        id: promo
        name: Promo
        on_change: {{onChange}}
        entry:
          event: signed.up
        steps:
          - id: {{waitId}}
            wait: 1h
        {{extraStep}}
          - id: mail
            email:
              template: promo
              subject: "{{subject}}"
        """;

    private static EngineHarness Entered(string journey)
    {
        var h = new EngineHarness().WithJourney(journey).WithTemplate("promo", "unused").Load();
        h.Event("signed.up", "2026-03-02T08:00:00Z", customerId: "c-old");
        return h;
    }

    [Fact]
    public void An_edited_journey_leaves_active_instances_on_the_version_they_entered_with()
    {
        using var h = Entered(Journey("Old subject"));
        var oldVersion = h.Journey("promo").Version;

        h.WithJourney(Journey("New subject", extraStep: """
              - id: new-wait
                wait: 1d
            """)).Reload();
        var newVersion = h.Journey("promo").Version;
        Assert.NotEqual(oldVersion, newVersion);

        h.Event("signed.up", "2026-03-02T08:30:00Z", customerId: "c-new");
        h.AdvanceTo("2026-03-05T00:00:00Z");

        var old = Assert.Single(h.Sends, s => s.CustomerId == "c-old");
        Assert.Equal("Old subject", old.Subject);
        Assert.Equal(oldVersion, old.Version);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), old.At);
        Assert.All(h.Outcomes.Where(o => o.CustomerId == "c-old"), o => Assert.Equal(oldVersion, o.Version));
        Assert.DoesNotContain("new-wait:waiting", h.Trace("c-old"));

        var fresh = Assert.Single(h.Sends, s => s.CustomerId == "c-new");
        Assert.Equal("New subject", fresh.Subject);
        Assert.Equal(newVersion, fresh.Version);
        Assert.Contains("new-wait:waiting", h.Trace("c-new"));
    }

    [Fact]
    public void Editing_only_a_template_also_pins_active_instances_to_the_old_template()
    {
        var journey = """
            id: promo
            name: Promo
            entry:
              event: signed.up
            steps:
              - id: wait-1h
                wait: 1h
              - id: mail
                email: { template: promo }
            """;
        using var h = new EngineHarness().WithJourney(journey).WithTemplate("promo", "Old template").Load();
        h.Event("signed.up", "2026-03-02T08:00:00Z", customerId: "c-old");

        h.WithTemplate("promo", "New template").Reload();
        h.Event("signed.up", "2026-03-02T08:30:00Z", customerId: "c-new");
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Equal("Old template", h.Sends.Single(s => s.CustomerId == "c-old").Subject);
        Assert.Equal("New template", h.Sends.Single(s => s.CustomerId == "c-new").Subject);
    }

    [Fact]
    public void On_change_migrate_moves_active_instances_to_the_same_step_of_the_new_version()
    {
        using var h = Entered(Journey("Old subject", onChange: "migrate"));

        h.WithJourney(Journey("New subject", onChange: "migrate")).Reload();
        var newVersion = h.Journey("promo").Version;
        h.AdvanceTo("2026-03-03T00:00:00Z");

        var send = Assert.Single(h.Sends);
        Assert.Equal("New subject", send.Subject);
        Assert.Equal(newVersion, send.Version);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), send.At);
        Assert.Equal(newVersion, h.Instance("c-old").Version);
        Assert.Equal(InstanceStatus.Completed, h.Instance("c-old").Status);
    }

    [Fact]
    public void On_change_migrate_exits_instances_whose_step_was_removed()
    {
        using var h = Entered(Journey("Old subject", onChange: "migrate"));

        h.WithJourney(Journey("New subject", onChange: "migrate", waitId: "wait-2h")).Reload();
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Empty(h.Sends);
        var exited = h.Single(OutcomeKind.Exited);
        Assert.Equal("version-removed", EngineHarness.Detail(exited, "reason"));
        Assert.Equal("wait-1h", exited.StepId);
        Assert.Equal(InstanceStatus.Exited, h.Instance("c-old").Status);
        Assert.Equal("version-removed", h.Instance("c-old").EndReason);
    }

    [Fact]
    public void On_change_migrate_happens_on_the_next_event_too()
    {
        var journey = """
            id: promo
            name: Promo
            on_change: migrate
            entry:
              event: signed.up
            steps:
              - id: wait-for-click
                wait_for:
                  event: link.clicked
              - id: mail
                email: { template: promo }
            """;
        using var h = new EngineHarness().WithJourney(journey).WithTemplate("promo", "Promo").Load();
        h.Event("signed.up", "2026-03-02T08:00:00Z");

        h.WithJourney(journey.Replace("wait-for-click", "wait-for-visit", StringComparison.Ordinal)).Reload();
        h.Event("page.viewed", "2026-03-02T09:00:00Z");

        var exited = h.Single(OutcomeKind.Exited);
        Assert.Equal("version-removed", EngineHarness.Detail(exited, "reason"));
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), exited.At);
    }

    [Fact]
    public void A_customer_pinned_to_a_version_the_worker_has_not_loaded_is_held_and_runs_on_it_once_it_is_back()
    {
        using var h = Entered(Journey("Old subject"));
        var old = h.Journey("promo");
        h.WithJourney(Journey("New subject")).Reload();
        var edited = h.Journey("promo");

        // A worker that knows only today's file: c-old is neither moved to it nor ended; its timer stays.
        h.Use(new JourneyCatalog([edited]));
        h.Time.SetUtcNow(EngineHarness.At("2026-03-02T09:30:00Z"));
        var held = h.Due("c-old");
        Assert.Empty(held.Outcomes);
        Assert.Empty(h.Sends);
        Assert.Equal(old.Version, h.Instance("c-old").Version);
        Assert.Equal(InstanceStatus.Active, h.Instance("c-old").Status);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), h.Instance("c-old").WakeAt);
        // Looked at again after a pause, not in a tight loop of wakeups.
        Assert.Equal([EngineHarness.At("2026-03-02T09:31:00Z")], held.Wakeups.Select(w => w.DueAt));

        // The version is back (read from the database): it runs at its own due time, late.
        h.Use(new JourneyCatalog([edited], [old]));
        h.Time.SetUtcNow(EngineHarness.At("2026-03-02T09:31:00Z"));
        h.Due("c-old");
        var send = Assert.Single(h.Sends);
        Assert.Equal("Old subject", send.Subject);
        Assert.Equal(old.Version, send.Version);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), send.At);
    }

    [Fact]
    public void Customers_of_a_journey_the_worker_has_not_loaded_at_all_are_held_and_let_no_event_end_them()
    {
        using var h = Entered(Journey("Old subject"));
        h.Use(new JourneyCatalog([]));
        h.Time.SetUtcNow(EngineHarness.At("2026-03-02T10:00:00Z"));
        Assert.Empty(h.Due("c-old").Outcomes);
        h.Event("signed.up", "2026-03-02T10:01:00Z", customerId: "c-old");
        Assert.Equal(InstanceStatus.Active, h.Instance("c-old").Status);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), h.Instance("c-old").WakeAt);
    }

    [Fact]
    public void On_change_migrate_still_moves_a_customer_whose_old_version_is_gone()
    {
        using var h = Entered(Journey("Old subject", onChange: "migrate"));
        h.WithJourney(Journey("New subject", onChange: "migrate")).Reload();
        h.Use(new JourneyCatalog([h.Journey("promo")]));
        h.AdvanceTo("2026-03-03T00:00:00Z");
        Assert.Equal("New subject", Assert.Single(h.Sends).Subject);
    }
}
