using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>Each step kind of docs/journey-format.md, "Step kinds".</summary>
public sealed class StepKindTests
{
    private const string WelcomeJourney = """
        id: welcome
        name: Welcome
        entry:
          event: signed.up
        steps:
          - id: hello
            email:
              template: hello
        """;

    [Fact]
    public void An_email_step_sends_the_rendered_template_to_the_customer()
    {
        using var h = new EngineHarness()
            .WithJourney(WelcomeJourney)
            .WithTemplate("hello", "Welcome, {{ customer.firstName }}", "<p>Your code is {{ entry.properties.code }}</p>", "Code: {{ entry.properties.code }}")
            .Load();

        var decision = h.Event("signed.up", "2026-03-02T08:00:00Z", properties: """{"code":"K-42"}""");

        // The engine decides the send; the sender records `sent` (EmailToSend.SentOutcome), so it is not among the outcomes.
        Assert.DoesNotContain(decision.Outcomes, o => o.Kind == OutcomeKind.Sent);
        var send = Assert.Single(h.Sends);
        Assert.Equal("ann@example.com", send.To);
        Assert.Equal("Welcome, Ann", send.Subject);
        Assert.Contains("<p>Your code is K-42</p>", send.Html, StringComparison.Ordinal);
        Assert.Equal("Code: K-42", send.Text);
        Assert.Equal(h.Sending.DefaultFrom, send.From);
        Assert.Equal("hello", send.StepId);
        Assert.Equal(EngineHarness.At("2026-03-02T08:00:00Z"), send.At);
        var sent = h.Single(OutcomeKind.Sent);
        Assert.Equal("Welcome, Ann", EngineHarness.Detail(sent, "subject"));
        Assert.Equal("ann@example.com", EngineHarness.Detail(sent, "to"));
        Assert.Equal(["entered", "hello:sent", "hello:completed"], h.Trace());
    }

    [Fact]
    public void An_email_step_subject_overrides_the_template_subject()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: welcome
                name: Welcome
                entry:
                  event: signed.up
                steps:
                  - id: hello
                    email:
                      template: hello
                      subject: "{{ customer.firstName }}, {{ entry.properties.count }} new things"
                """)
            .WithTemplate("hello", "The template's subject")
            .Load();

        h.Event("signed.up", "2026-03-02T08:00:00Z", properties: """{"count":3}""");

        Assert.Equal("Ann, 3 new things", Assert.Single(h.Sends).Subject);
    }

    [Fact]
    public void A_wait_step_continues_after_its_duration()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: welcome
                name: Welcome
                entry:
                  event: signed.up
                steps:
                  - id: pause
                    wait: 2h
                  - id: hello
                    email:
                      template: hello
                """)
            .WithTemplate("hello", "Hi")
            .Load();

        var decision = h.Event("signed.up", "2026-03-02T08:00:00Z");
        Assert.Equal(EngineHarness.At("2026-03-02T10:00:00Z"), Assert.Single(decision.Wakeups).DueAt);

        h.AdvanceTo("2026-03-02T09:59:59Z");
        Assert.Empty(h.Sends);

        h.AdvanceTo("2026-03-02T10:00:00Z");
        Assert.Equal(EngineHarness.At("2026-03-02T10:00:00Z"), Assert.Single(h.Sends).At);
        Assert.Equal(["entered", "pause:waiting", "pause:resumed", "hello:sent", "hello:completed"], h.Trace());
        Assert.Equal("time", EngineHarness.Detail(h.Single(OutcomeKind.Resumed), "by"));
    }

    private static EngineHarness WaitUntil(string waitUntil, string? timeZone = null) => new EngineHarness()
        .WithJourney($$"""
            id: morning
            name: Morning
            entry:
              event: signed.up
            {{(timeZone is null ? "" : "time_zone: " + timeZone)}}
            steps:
              - id: until-morning
                wait_until: {{waitUntil}}
              - id: hello
                email:
                  template: hello
            """)
        .WithTemplate("hello", "Good morning")
        .Load();

    [Fact]
    public void Wait_until_continues_at_the_next_such_local_time_in_the_customers_zone()
    {
        using var h = WaitUntil("""{ time: "09:00" }""");

        // 11:00 in Amsterdam (UTC+1 in March): today's 09:00 has passed, so tomorrow 09:00 local = 08:00 UTC.
        h.Event("signed.up", "2026-03-02T10:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Europe/Amsterdam"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-03T08:00:00Z"), Assert.Single(h.Sends).At);
        Assert.Equal("Europe/Amsterdam", EngineHarness.Detail(h.OutcomesOf(OutcomeKind.Waiting).Single(), "zone"));
    }

    [Fact]
    public void Wait_until_continues_the_same_day_when_the_local_time_is_still_ahead()
    {
        using var h = WaitUntil("""{ time: "09:00" }""");

        // 02:00 in New York (UTC-5): 09:00 local the same day is 14:00 UTC.
        h.Event("signed.up", "2026-03-02T07:00:00Z", customer: """{"email":"ann@example.com","timeZone":"America/New_York"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-02T14:00:00Z"), Assert.Single(h.Sends).At);
    }

    [Fact]
    public void Wait_until_with_days_waits_for_the_next_listed_day()
    {
        using var h = WaitUntil("""{ time: "10:00", days: [fri] }""");

        // Monday 2 March; the next Friday is 6 March, 10:00 Amsterdam = 09:00 UTC.
        h.Event("signed.up", "2026-03-02T08:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Europe/Amsterdam"}""");
        h.AdvanceTo("2026-03-20T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-06T09:00:00Z"), Assert.Single(h.Sends).At);
    }

    [Fact]
    public void Wait_until_with_days_skips_today_once_the_time_has_passed()
    {
        using var h = WaitUntil("""{ time: "10:00", days: [mon, fri] }""");

        // Monday 11:00 Amsterdam: today's 10:00 has passed, so Friday.
        h.Event("signed.up", "2026-03-02T10:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Europe/Amsterdam"}""");
        h.AdvanceTo("2026-03-20T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-06T09:00:00Z"), Assert.Single(h.Sends).At);
    }

    [Theory]
    [InlineData("Europe/Amsterdm")]
    [InlineData("+01:00")]
    [InlineData("EST")]
    [InlineData("Eastern Standard Time")]
    public void Wait_until_with_a_profile_zone_that_is_no_iana_name_uses_the_journey_zone_and_says_so(string badZone)
    {
        using var h = WaitUntil("""{ time: "09:00" }""", timeZone: "America/New_York");

        // 02:00 in New York (UTC-5 on 2 March): 09:00 New York is 14:00 UTC, not 09:00 UTC (the profile's zone read as UTC)
        // nor, for EST, 14:00 by luck: EST would be right today and an hour off all summer.
        h.Event("signed.up", "2026-03-02T07:00:00Z", customer: $$"""{"email":"ann@example.com","timeZone":"{{badZone}}"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-02T14:00:00Z"), Assert.Single(h.Sends).At);
        var waiting = h.OutcomesOf(OutcomeKind.Waiting).Single();
        Assert.Equal("America/New_York", EngineHarness.Detail(waiting, "zone"));
        Assert.Equal(badZone, EngineHarness.Detail(waiting, "zoneFallback"));
        Assert.Equal([badZone], h.Decisions[0].UnknownTimeZones);
    }

    [Fact]
    public void Wait_until_with_an_unknown_profile_zone_and_no_journey_zone_uses_utc_and_says_so()
    {
        using var h = WaitUntil("""{ time: "09:00" }""");

        h.Event("signed.up", "2026-03-02T07:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Europe/Amsterdm"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), Assert.Single(h.Sends).At);
        var waiting = h.OutcomesOf(OutcomeKind.Waiting).Single();
        Assert.Equal("UTC", EngineHarness.Detail(waiting, "zone"));
        Assert.Equal("Europe/Amsterdm", EngineHarness.Detail(waiting, "zoneFallback"));
    }

    [Fact]
    public void Wait_until_in_a_known_profile_zone_records_no_fallback()
    {
        using var h = WaitUntil("""{ time: "09:00" }""", timeZone: "America/New_York");

        h.Event("signed.up", "2026-03-02T10:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Europe/Amsterdam"}""");

        Assert.Null(EngineHarness.Detail(h.OutcomesOf(OutcomeKind.Waiting).Single(), "zoneFallback"));
        Assert.Empty(h.Decisions[0].UnknownTimeZones);
    }

    [Fact]
    public void Wait_until_uses_the_journey_time_zone_when_the_profile_has_none()
    {
        using var h = WaitUntil("""{ time: "09:00" }""", timeZone: "America/New_York");

        h.Event("signed.up", "2026-03-02T07:00:00Z");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-02T14:00:00Z"), Assert.Single(h.Sends).At);
    }

    [Fact]
    public void Wait_until_prefers_the_profile_zone_over_the_journey_zone()
    {
        using var h = WaitUntil("""{ time: "09:00" }""", timeZone: "America/New_York");

        h.Event("signed.up", "2026-03-02T07:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Europe/Amsterdam"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-02T08:00:00Z"), Assert.Single(h.Sends).At);
    }

    [Fact]
    public void Wait_until_uses_utc_without_any_zone_and_ignores_an_unknown_profile_zone()
    {
        using var h = WaitUntil("""{ time: "09:00" }""");

        h.Event("signed.up", "2026-03-02T07:00:00Z", customer: """{"email":"ann@example.com","timeZone":"Mars/Olympus_Mons"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), Assert.Single(h.Sends).At);
    }

    private const string CartJourney = """
        id: cart
        name: Cart
        entry:
          event: cart.abandoned
          key: event.properties.cartId
          reentry: always
        steps:
          - id: wait-for-order
            wait_for:
              event: order.placed
              when: "event.properties.cartId == entry.properties.cartId"
              timeout: 1d
              on_event: thanks
              on_timeout: reminder
          - id: reminder
            email:
              template: reminder
            next: done
          - id: thanks
            email:
              template: thanks
          - id: done
            exit: {}
        """;

    private static EngineHarness Cart() => new EngineHarness()
        .WithJourney(CartJourney)
        .WithTemplate("reminder", "Your cart is waiting")
        .WithTemplate("thanks", "Thanks for your order")
        .Load();

    [Fact]
    public void Wait_for_resumes_on_the_matching_event_and_goes_to_on_event()
    {
        using var h = Cart();

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1"}""");
        h.Event("order.placed", "2026-03-02T09:00:00Z", properties: """{"cartId":"k-other"}""");
        Assert.Equal(WaitingFor.Event, h.Instance().Waiting);

        h.Event("order.placed", "2026-03-02T10:00:00Z", properties: """{"cartId":"k-1"}""");
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(["Thanks for your order"], h.Sends.Select(s => s.Subject));
        Assert.Equal(
            ["entered", "wait-for-order:waiting", "wait-for-order:resumed", "thanks:sent", "done:completed"],
            h.Trace());
        var resumed = h.Single(OutcomeKind.Resumed);
        Assert.Equal("event", EngineHarness.Detail(resumed, "by"));
        Assert.Equal(EngineHarness.At("2026-03-02T10:00:00Z"), resumed.At);
    }

    [Fact]
    public void Wait_for_resumes_on_timeout_and_goes_to_on_timeout()
    {
        using var h = Cart();

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1"}""");
        Assert.Equal("2026-03-03T08:00:00Z", EngineHarness.Detail(h.Single(OutcomeKind.Waiting), "until"));
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(["Your cart is waiting"], h.Sends.Select(s => s.Subject));
        Assert.Equal(["entered", "wait-for-order:waiting", "wait-for-order:resumed", "reminder:sent", "done:completed"], h.Trace());
        var resumed = h.Single(OutcomeKind.Resumed);
        Assert.Equal("timeout", EngineHarness.Detail(resumed, "by"));
        Assert.Equal(EngineHarness.At("2026-03-03T08:00:00Z"), resumed.At);
    }

    [Fact]
    public void Wait_for_without_targets_continues_with_the_following_step_either_way()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: cart
                name: Cart
                entry:
                  event: cart.abandoned
                  key: event.properties.cartId
                steps:
                  - id: wait-for-order
                    wait_for:
                      event: order.placed
                      timeout: 1h
                  - id: after
                    email:
                      template: after
                """)
            .WithTemplate("after", "After")
            .Load();

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1"}""");
        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-2"}""");
        h.Event("order.placed", "2026-03-02T08:30:00Z");
        h.AdvanceTo("2026-03-03T00:00:00Z");

        // The order (no `when`) resumes both carts' instances at 08:30; nothing is left for the timeout.
        Assert.Equal(2, h.Sends.Count);
        Assert.All(h.Sends, s => Assert.Equal(EngineHarness.At("2026-03-02T08:30:00Z"), s.At));
        Assert.All(h.OutcomesOf(OutcomeKind.Resumed), o => Assert.Equal("event", EngineHarness.Detail(o, "by")));
    }

    [Fact]
    public void Wait_for_without_timeout_waits_forever()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: cart
                name: Cart
                entry:
                  event: cart.abandoned
                steps:
                  - id: wait-for-order
                    wait_for:
                      event: order.placed
                  - id: after
                    email:
                      template: after
                """)
            .WithTemplate("after", "After")
            .Load();

        var decision = h.Event("cart.abandoned", "2026-03-02T08:00:00Z");
        Assert.Empty(decision.Wakeups);
        Assert.Null(EngineHarness.Detail(h.Single(OutcomeKind.Waiting), "until"));

        h.AdvanceTo("2027-03-02T08:00:00Z");
        Assert.Empty(h.Sends);
        Assert.Equal(InstanceStatus.Active, h.Instance().Status);
        Assert.Equal(WaitingFor.Event, h.Instance().Waiting);

        h.Event("order.placed", "2027-03-02T09:00:00Z");
        Assert.Single(h.Sends);
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    private const string BranchJourney = """
        id: tiers
        name: Tiers
        entry:
          event: signed.up
        steps:
          - id: pick
            branch:
              - when: "customer.attributes.tier == 'gold'"
                next: gold
              - when: "customer.attributes.spend > 100"
                next: big
              - when: "customer.attributes.nothing.deeper == true or customer.attributes.nothing != nil"
                next: never
              - else: other
          - id: gold
            email: { template: gold }
            next: end
          - id: big
            email: { template: big }
            next: end
          - id: never
            email: { template: never }
            next: end
          - id: other
            email: { template: other }
          - id: end
            exit: {}
        """;

    private static EngineHarness Branch() => new EngineHarness()
        .WithJourney(BranchJourney)
        .WithTemplate("gold", "gold")
        .WithTemplate("big", "big")
        .WithTemplate("never", "never")
        .WithTemplate("other", "other")
        .Load();

    [Theory]
    [InlineData("""{"tier":"gold","spend":500}""", "gold")]
    [InlineData("""{"tier":"silver","spend":500}""", "big")]
    [InlineData("""{"spend":500}""", "big")]
    [InlineData("""{"tier":"silver","spend":50}""", "other")]
    [InlineData("""{}""", "other")]
    public void A_branch_takes_the_first_true_case_and_else_otherwise(string attributes, string expected)
    {
        using var h = Branch();

        h.Event("signed.up", "2026-03-02T08:00:00Z", customer: $$"""{"email":"ann@example.com","attributes":{{attributes}}}""");

        Assert.Equal([expected], h.Sends.Select(s => s.Subject));
        Assert.Equal(expected, EngineHarness.Detail(h.Single(OutcomeKind.Branched), "next"));
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    [Fact]
    public void A_branch_treats_names_that_do_not_exist_as_false()
    {
        using var h = Branch();

        // No attributes at all: every case reads missing names and none may be true (or throw).
        h.Event("signed.up", "2026-03-02T08:00:00Z", customer: """{"email":"ann@example.com"}""");

        var branched = h.Single(OutcomeKind.Branched);
        Assert.Equal("else", EngineHarness.Detail(branched, "case"));
        Assert.Equal(["other"], h.Sends.Select(s => s.Subject));
    }

    private const string SplitJourney = """
        id: offer
        name: Offer test
        entry:
          event: signed.up
          reentry: always
        goal:
          event: order.placed
          within: 7d
        steps:
          - id: test
            split:
              - variant: discount
                weight: 45
                next: discount-mail
              - variant: plain
                weight: 45
                next: plain-mail
              - variant: control
                weight: 10
                next: end
          - id: discount-mail
            email: { template: discount }
            next: end
          - id: plain-mail
            email: { template: plain }
            next: end
          - id: end
            exit: {}
        """;

    private static EngineHarness Split() => new EngineHarness()
        .WithJourney(SplitJourney)
        .WithTemplate("discount", "10% off")
        .WithTemplate("plain", "Come back")
        .Load();

    [Fact]
    public void A_split_gives_the_same_customer_the_same_variant_across_engines_and_entries()
    {
        var variants = new List<string?>();
        for (var run = 0; run < 3; run++)
        {
            using var h = Split();
            h.Event("signed.up", "2026-03-02T08:00:00Z", customerId: "c-split-7");
            h.Event("signed.up", "2026-03-09T08:00:00Z", customerId: "c-split-7");
            var assigned = h.OutcomesOf(OutcomeKind.Assigned).ToList();
            Assert.Equal(2, assigned.Count);
            Assert.Equal(assigned[0].Variant, assigned[1].Variant);
            variants.Add(assigned[0].Variant);
        }
        Assert.Single(variants.Distinct());
        Assert.NotNull(variants[0]);
    }

    [Fact]
    public void A_split_distributes_customers_roughly_by_weight_and_the_holdout_receives_nothing()
    {
        using var h = Split();

        for (var i = 0; i < 1000; i++)
            h.Event("signed.up", "2026-03-02T08:00:00Z", customerId: $"customer-{i}");

        var counts = h.OutcomesOf(OutcomeKind.Assigned).GroupBy(o => o.Variant!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1000, counts.Values.Sum());
        // 45/45/10 of 1000; a fair assignment stays well within ±60 (about four standard deviations).
        Assert.InRange(counts.GetValueOrDefault("discount"), 390, 510);
        Assert.InRange(counts.GetValueOrDefault("plain"), 390, 510);
        Assert.InRange(counts.GetValueOrDefault("control"), 60, 140);

        var control = h.OutcomesOf(OutcomeKind.Assigned).Where(o => o.Variant == "control").Select(o => o.CustomerId).ToHashSet();
        Assert.DoesNotContain(h.Sends, s => control.Contains(s.CustomerId));
        Assert.All(h.Sends, s => Assert.Equal(s.Variant == "discount" ? "10% off" : "Come back", s.Subject));
        Assert.Equal(1000 - control.Count, h.Sends.Count);
        Assert.All(h.OutcomesOf(OutcomeKind.Completed), o => Assert.NotNull(o.Variant));
    }

    [Fact]
    public void An_exit_step_completes_the_instance()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: short
                name: Short
                entry:
                  event: signed.up
                steps:
                  - id: stop
                    exit: {}
                  - id: unreachable
                    email: { template: hello }
                """)
            .WithTemplate("hello", "Hello")
            .Load();

        h.Event("signed.up", "2026-03-02T08:00:00Z");

        Assert.Empty(h.Sends);
        var completed = h.Single(OutcomeKind.Completed);
        Assert.Equal("stop", completed.StepId);
        Assert.Equal("exit-step", EngineHarness.Detail(completed, "reason"));
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    [Fact]
    public void Reaching_the_end_of_the_steps_completes_the_instance()
    {
        using var h = new EngineHarness().WithJourney(WelcomeJourney).WithTemplate("hello", "Hi").Load();

        h.Event("signed.up", "2026-03-02T08:00:00Z");

        var completed = h.Single(OutcomeKind.Completed);
        Assert.Equal("end-of-steps", EngineHarness.Detail(completed, "reason"));
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
        Assert.Empty(h.OutcomesOf(OutcomeKind.Exited));
    }
}
