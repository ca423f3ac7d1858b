using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>Reserved events, the sending rules in their order, <c>required</c>, send keys and the profile.</summary>
public sealed class SendingRuleTests
{
    private const string Ann = EngineHarness.DefaultCustomer;

    /// <summary>Two emails an hour apart, then the end.</summary>
    private static EngineHarness TwoMails(string sendWindow = "", SendingOptions? sending = null, string id = "news", EngineHarness? into = null)
    {
        var h = (into ?? new EngineHarness(sending))
            .WithJourney($$"""
                id: {{id}}
                name: News
                entry:
                  event: {{id}}.start
                {{sendWindow}}
                steps:
                  - id: first
                    email: { template: first }
                  - id: pause
                    wait: 1h
                  - id: second
                    email: { template: second }
                """)
            .WithTemplate("first", "First {{ customer.firstName }}")
            .WithTemplate("second", "Second {{ customer.firstName }}");
        return h.Load();
    }

    [Fact]
    public void After_customer_unsubscribed_later_sends_are_suppressed_and_the_instance_goes_on()
    {
        using var h = TwoMails();

        h.Event("news.start", "2026-03-02T08:00:00Z");
        h.Event("customer.unsubscribed", "2026-03-02T08:30:00Z", customer: null);
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Equal(["First Ann"], h.Sends.Select(s => s.Subject));
        var suppressed = h.Single(OutcomeKind.Suppressed);
        Assert.Equal("second", suppressed.StepId);
        Assert.Equal("unsubscribed", EngineHarness.Detail(suppressed, "reason"));
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
        Assert.True(h.State()!.Unsubscribed);
    }

    [Fact]
    public void Customer_resubscribed_undoes_the_unsubscribe()
    {
        using var h = TwoMails();

        h.Event("customer.unsubscribed", "2026-03-02T07:00:00Z", customer: null);
        h.Event("news.start", "2026-03-02T08:00:00Z");
        h.Event("customer.resubscribed", "2026-03-02T08:30:00Z", customer: null);
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Equal(["first:suppressed", "second:sent"], h.Trace().Where(t => t.EndsWith(":suppressed", StringComparison.Ordinal) || t.EndsWith(":sent", StringComparison.Ordinal)));
        Assert.False(h.State()!.Unsubscribed);
    }

    [Fact]
    public void A_permanent_bounce_suppresses_the_address()
    {
        using var h = TwoMails();

        h.Event("news.start", "2026-03-02T08:00:00Z");
        h.Event("email.bounced", "2026-03-02T08:10:00Z", properties: """{"permanent":true,"email":"ann@example.com"}""", customer: null);
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Single(h.Sends);
        Assert.Equal("bounced", EngineHarness.Detail(h.Single(OutcomeKind.Suppressed), "reason"));
        Assert.True(h.State()!.IsSuppressed);
    }

    [Fact]
    public void A_permanent_bounce_without_an_address_suppresses_the_profile_address()
    {
        using var h = TwoMails();

        h.Event("news.start", "2026-03-02T08:00:00Z");
        h.Event("email.bounced", "2026-03-02T08:10:00Z", properties: """{"permanent":true}""", customer: null);
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Single(h.Sends);
        Assert.Single(h.OutcomesOf(OutcomeKind.Suppressed));
    }

    [Fact]
    public void A_temporary_bounce_does_not_suppress()
    {
        using var h = TwoMails();

        h.Event("news.start", "2026-03-02T08:00:00Z");
        h.Event("email.bounced", "2026-03-02T08:10:00Z", properties: """{"permanent":false}""", customer: null);
        h.Event("email.bounced", "2026-03-02T08:20:00Z", customer: null);
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Equal(2, h.Sends.Count);
        Assert.False(h.State()!.IsSuppressed);
    }

    [Fact]
    public void A_new_email_address_after_a_bounce_is_not_suppressed()
    {
        using var h = TwoMails();

        h.Event("news.start", "2026-03-02T08:00:00Z");
        h.Event("email.bounced", "2026-03-02T08:10:00Z", properties: """{"permanent":true}""", customer: null);
        h.Event("profile.updated", "2026-03-02T08:20:00Z", customer: """{"email":"ann.new@example.com"}""");
        h.AdvanceTo("2026-03-03T00:00:00Z");

        Assert.Equal(["ann@example.com", "ann.new@example.com"], h.Sends.Select(s => s.To));
        Assert.Empty(h.OutcomesOf(OutcomeKind.Suppressed));
    }

    [Fact]
    public void A_customer_without_an_address_is_skipped_for_no_address_even_when_unsubscribed()
    {
        using var h = TwoMails();

        h.Event("customer.unsubscribed", "2026-03-02T07:00:00Z", customer: null);
        h.Event("news.start", "2026-03-02T08:00:00Z", customer: """{"firstName":"Ann"}""");
        h.AdvanceTo("2026-03-03T00:00:00Z");

        var skipped = h.OutcomesOf(OutcomeKind.Skipped).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s => Assert.Equal("no-address", EngineHarness.Detail(s, "reason")));
        Assert.Empty(h.OutcomesOf(OutcomeKind.Suppressed));
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("ann@")]
    [InlineData("   ")]
    [InlineData("Ann <ann@example.com>")]
    public void An_invalid_address_is_skipped_for_no_address(string email)
    {
        using var h = TwoMails();

        h.Event("news.start", "2026-03-02T08:00:00Z", customer: $$"""{"email":{{System.Text.Json.JsonSerializer.Serialize(email)}}}""");

        Assert.Equal("no-address", EngineHarness.Detail(h.OutcomesOf(OutcomeKind.Skipped).First(), "reason"));
        Assert.Empty(h.Sends);
    }

    private const string Window = """
        send_window:
          days: [mon, tue, wed, thu, fri]
          from: "09:00"
          to: "17:00"
        time_zone: Europe/Amsterdam
        """;

    [Fact]
    public void An_unsubscribed_customer_is_suppressed_at_once_not_deferred_by_the_send_window()
    {
        using var h = TwoMails(Window);

        h.Event("customer.unsubscribed", "2026-03-02T05:00:00Z", customer: null);
        h.Event("news.start", "2026-03-02T06:00:00Z");

        Assert.Equal(["entered", "first:suppressed", "pause:waiting"], h.Trace());
    }

    [Fact]
    public void A_send_outside_the_window_is_deferred_to_the_next_opening_in_the_customers_zone_then_sent()
    {
        using var h = TwoMails(Window);

        // Friday 18:00 in New York (EST, UTC-5) = 23:00 UTC: closed until Monday 09:00 New York, which is EDT
        // (UTC-4) after Sunday's change: 13:00 UTC.
        h.Event("news.start", "2026-03-06T23:00:00Z", customer: """{"email":"ann@example.com","firstName":"Ann","timeZone":"America/New_York"}""");

        var deferred = h.Single(OutcomeKind.Deferred);
        Assert.Equal("first", deferred.StepId);
        Assert.Equal("send-window", EngineHarness.Detail(deferred, "reason"));
        Assert.Equal("2026-03-09T13:00:00Z", EngineHarness.Detail(deferred, "until"));
        Assert.Equal("America/New_York", EngineHarness.Detail(deferred, "zone"));
        Assert.Empty(h.Sends);

        h.AdvanceTo("2026-03-09T12:59:59Z");
        Assert.Empty(h.Sends);
        h.AdvanceTo("2026-03-12T00:00:00Z");
        Assert.Equal(
            [EngineHarness.At("2026-03-09T13:00:00Z"), EngineHarness.At("2026-03-09T14:00:00Z")],
            h.Sends.Select(s => s.At));
        Assert.Equal(["entered", "first:deferred", "first:sent", "pause:waiting", "pause:resumed", "second:sent", "second:completed"], h.Trace());
    }

    [Fact]
    public void A_send_deferred_by_the_window_with_a_profile_zone_that_is_no_iana_name_uses_the_journey_zone_and_says_so()
    {
        using var h = TwoMails(Window);

        // Friday 23:00 UTC is Saturday 00:00 in Amsterdam (the journey's zone): closed until Monday 09:00 Amsterdam,
        // 08:00 UTC. In EST (UTC-5, Friday 18:00) the window would open Monday 09:00 EST, 14:00 UTC.
        h.Event("news.start", "2026-03-06T23:00:00Z", customer: """{"email":"ann@example.com","firstName":"Ann","timeZone":"EST"}""");

        var deferred = h.Single(OutcomeKind.Deferred);
        Assert.Equal("2026-03-09T08:00:00Z", EngineHarness.Detail(deferred, "until"));
        Assert.Equal("Europe/Amsterdam", EngineHarness.Detail(deferred, "zone"));
        Assert.Equal("EST", EngineHarness.Detail(deferred, "zoneFallback"));
    }

    [Fact]
    public void A_send_inside_the_window_of_the_fallback_zone_goes_at_once_and_the_decision_names_the_unknown_zone()
    {
        using var h = TwoMails(Window);

        // Monday 10:00 UTC = 11:00 Amsterdam: open, so no outcome shows the zone; the decision still names it for the log.
        h.Event("news.start", "2026-03-02T10:00:00Z", customer: """{"email":"ann@example.com","firstName":"Ann","timeZone":"Europe/Amsterdm"}""");

        Assert.Equal(EngineHarness.At("2026-03-02T10:00:00Z"), h.Sends[0].At);
        Assert.Equal(["Europe/Amsterdm"], h.Decisions[0].UnknownTimeZones);
    }

    [Fact]
    public void A_send_inside_the_window_goes_at_once_and_the_closing_time_is_exclusive()
    {
        using var h = TwoMails(Window);

        // Monday 16:00 Amsterdam: open. An hour later (17:00) the window has closed: Tuesday 09:00 = 08:00 UTC.
        h.Event("news.start", "2026-03-02T15:00:00Z");
        h.AdvanceTo("2026-03-04T00:00:00Z");

        Assert.Equal(
            [EngineHarness.At("2026-03-02T15:00:00Z"), EngineHarness.At("2026-03-03T08:00:00Z")],
            h.Sends.Select(s => s.At));
    }

    [Fact]
    public void A_customer_who_unsubscribes_while_deferred_is_suppressed_at_the_opening()
    {
        using var h = TwoMails(Window);

        h.Event("news.start", "2026-03-02T06:00:00Z");
        h.Event("customer.unsubscribed", "2026-03-02T07:00:00Z", customer: null);
        h.AdvanceTo("2026-03-02T08:00:00Z");

        Assert.Empty(h.Sends);
        var suppressed = h.Single(OutcomeKind.Suppressed);
        Assert.Equal(EngineHarness.At("2026-03-02T08:00:00Z"), suppressed.At);
    }

    [Fact]
    public void The_frequency_cap_counts_sends_across_journeys_and_defers_until_it_allows()
    {
        using var h = new EngineHarness(new SendingOptions { FrequencyCap = new FrequencyCapOptions { Count = 2, Period = "1d" } });
        TwoMails(id: "alpha", into: h);
        TwoMails(id: "beta", into: h);

        h.Event("alpha.start", "2026-03-02T08:00:00Z");   // alpha sends at 08:00 and 09:00
        h.Event("beta.start", "2026-03-02T10:00:00Z");    // the cap (2 a day) is full until 08:00 tomorrow
        h.AdvanceTo("2026-03-05T00:00:00Z");

        var beta = h.Outcomes.Where(o => o.JourneyId == "beta").ToList();
        var deferred = Assert.Single(beta, o => o.Kind == OutcomeKind.Deferred);
        Assert.Equal("frequency-cap", EngineHarness.Detail(deferred, "reason"));
        Assert.Equal("2026-03-03T08:00:00Z", EngineHarness.Detail(deferred, "until"));
        Assert.Equal(
            [
                ("alpha", EngineHarness.At("2026-03-02T08:00:00Z")),
                ("alpha", EngineHarness.At("2026-03-02T09:00:00Z")),
                ("beta", EngineHarness.At("2026-03-03T08:00:00Z")),
                ("beta", EngineHarness.At("2026-03-03T09:00:00Z")),
            ],
            h.Sends.Select(s => (s.JourneyId, s.At)));
    }

    [Fact]
    public void The_frequency_cap_applies_after_the_send_window()
    {
        using var h = new EngineHarness(new SendingOptions { FrequencyCap = new FrequencyCapOptions { Count = 1, Period = "1d" } });
        TwoMails(Window, id: "alpha", into: h);

        // Monday 10:00 Amsterdam: first at 09:00 UTC; second at 10:00 UTC is capped until Tuesday 09:00 UTC (10:00 local, open).
        h.Event("alpha.start", "2026-03-02T09:00:00Z");
        h.AdvanceTo("2026-03-05T00:00:00Z");

        Assert.Equal([EngineHarness.At("2026-03-02T09:00:00Z"), EngineHarness.At("2026-03-03T09:00:00Z")], h.Sends.Select(s => s.At));
        Assert.Equal("frequency-cap", EngineHarness.Detail(h.Single(OutcomeKind.Deferred), "reason"));
    }

    [Fact]
    public void A_required_name_that_is_missing_skips_the_send_and_the_instance_goes_on()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: news
                name: News
                entry:
                  event: news.start
                steps:
                  - id: personal
                    email: { template: personal }
                  - id: generic
                    email: { template: generic }
                """)
            .WithTemplate("personal", "Hi {{ customer.firstName }}", "<p>Dear {{ customer.firstName | required }}</p>")
            .WithTemplate("generic", "Hello", "<p>Dear customer</p>")
            .Load();

        h.Event("news.start", "2026-03-02T08:00:00Z", customer: """{"email":"ann@example.com"}""");

        var skipped = h.Single(OutcomeKind.Skipped);
        Assert.Equal("personal", skipped.StepId);
        Assert.Equal("missing-data:customer.firstName", EngineHarness.Detail(skipped, "reason"));
        Assert.Equal(["Hello"], h.Sends.Select(s => s.Subject));
        Assert.Equal(["entered", "personal:skipped", "generic:sent", "generic:completed"], h.Trace());
    }

    [Fact]
    public void A_required_name_that_is_present_sends_normally()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: news
                name: News
                entry:
                  event: news.start
                steps:
                  - id: personal
                    email: { template: personal }
                """)
            .WithTemplate("personal", "Hi {{ customer.firstName | required }}", "<p>Dear {{ customer.firstName | required }}</p>")
            .Load();

        h.Event("news.start", "2026-03-02T08:00:00Z");

        Assert.Equal("Hi Ann", Assert.Single(h.Sends).Subject);
    }

    [Fact]
    public void Send_keys_are_deterministic_and_differ_per_instance_and_step()
    {
        List<EmailToSend> Run()
        {
            using var h = new EngineHarness()
                .WithJourney("""
                    id: cart
                    name: Cart
                    entry:
                      event: cart.abandoned
                      key: event.properties.cartId
                    steps:
                      - id: first
                        email: { template: mail }
                      - id: second
                        email: { template: mail }
                    """)
                .WithTemplate("mail", "Mail")
                .Load();
            h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1"}""", eventId: "a");
            h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-2"}""", eventId: "b");
            return h.Sends;
        }

        var once = Run();
        var again = Run();

        Assert.Equal(4, once.Count);
        Assert.Equal(once.Select(s => s.SendKey), again.Select(s => s.SendKey));
        Assert.Equal(4, once.Select(s => s.SendKey).Distinct().Count());
        Assert.All(once, s => Assert.Matches("^[0-9a-f]{32}$", s.SendKey));
    }

    [Fact]
    public void Deciding_the_same_event_on_the_same_state_again_gives_the_same_sends_and_leaves_the_state_alone()
    {
        using var h = TwoMails();
        h.Event("news.start", "2026-03-02T08:00:00Z");
        var before = h.State()!;
        var instance = Assert.Single(before.Instances);
        var json = EngineHarness.EventText("other.event", EngineHarness.At("2026-03-02T09:30:00Z"), eventId: "retry-me");
        Assert.True(Processing.EventJson.TryParse(json, out var evt, out _));
        // The clock stands at the event, as when it arrives on time: the pause before the second mail is due by then.
        h.Time.SetUtcNow(evt!.OccurredAt);

        var first = h.Engine.HandleEvent(h.Catalog, before, evt!);
        var retry = h.Engine.HandleEvent(h.Catalog, before, evt!);

        Assert.Equal("second", Assert.Single(first.Sends).StepId);
        Assert.Equal(first.Sends.Select(s => s.SendKey), retry.Sends.Select(s => s.SendKey));
        Assert.Equal(first.Outcomes.Select(Describe), retry.Outcomes.Select(Describe));
        Assert.Equal("pause", instance.StepId);
        Assert.Equal(WaitingFor.Time, instance.Waiting);
        Assert.DoesNotContain(before.RecentSends, t => t > EngineHarness.At("2026-03-02T08:00:00Z"));
    }

    private static string Describe(Outcome o) =>
        $"{Iso.Format(o.At)} {o.InstanceId} {o.StepId} {o.Kind} {string.Join(",", (o.Detail ?? new Dictionary<string, object?>()).Select(d => $"{d.Key}={d.Value}"))}";

    [Fact]
    public void A_profile_update_merges_fields_and_attributes_key_by_key()
    {
        using var h = TwoMails();

        h.Event("profile.updated", "2026-03-02T07:00:00Z",
            customer: """{"email":"ann@example.com","firstName":"Ann","lastName":"Lee","attributes":{"vip":true,"tier":"gold"}}""");
        h.Event("profile.updated", "2026-03-02T07:30:00Z",
            customer: """{"lastName":"Lee-Park","attributes":{"tier":"silver","city":"Utrecht"}}""");

        var profile = h.State()!.Profile;
        Assert.Equal("ann@example.com", profile.Email);
        Assert.Equal("Ann", profile.FirstName);
        Assert.Equal("Lee-Park", profile.LastName);
        Assert.True(profile.Attributes["vip"].GetBoolean());
        Assert.Equal("silver", profile.Attributes["tier"].GetString());
        Assert.Equal("Utrecht", profile.Attributes["city"].GetString());
    }

    [Fact]
    public void A_profile_update_applies_to_its_own_event_even_after_timers_fired_in_the_same_decision()
    {
        using var h = TwoMails();
        TwoMails(id: "other", into: h);

        h.Event("news.start", "2026-03-02T08:00:00Z");
        // The 09:00 timer of `news` fires first, rendering "Second Ann"; then the profile update applies to `other`.
        h.Event("other.start", "2026-03-02T10:00:00Z", customer: """{"firstName":"Bea"}""");

        Assert.Equal(
            [("news", "First Ann"), ("news", "Second Ann"), ("other", "First Bea")],
            h.Sends.Select(s => (s.JourneyId, s.Subject)));
    }

    [Fact]
    public void A_profile_update_is_visible_to_the_entry_condition_of_its_event()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: vip
                name: VIP
                entry:
                  event: order.placed
                  when: "customer.attributes.vip == true"
                steps:
                  - id: thanks
                    email: { template: thanks }
                """)
            .WithTemplate("thanks", "Thanks {{ customer.firstName }}");
        TwoMails(into: h);

        h.Event("news.start", "2026-03-02T08:00:00Z", customer: """{"email":"ann@example.com","firstName":"Ann","attributes":{"vip":false}}""");
        h.Event("order.placed", "2026-03-02T10:00:00Z", customer: """{"attributes":{"vip":true}}""");

        Assert.Contains(h.Sends, s => s.JourneyId == "vip");
    }
}
