using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// Send windows and <c>wait_until</c> across daylight saving changes in both hemispheres. Every expectation is an
/// exact UTC instant worked out by hand from the zone's offsets on each side of the change.
/// </summary>
public sealed class DaylightSavingTests
{
    private static EngineHarness Windowed() => new EngineHarness()
        .WithJourney("""
            id: windowed
            name: Windowed
            entry:
              event: go
            send_window:
              days: [mon, tue, wed, thu, fri, sat, sun]
              from: "09:00"
              to: "21:00"
            steps:
              - id: mail
                email: { template: mail }
            """)
        .WithTemplate("mail", "Mail")
        .Load();

    private static EngineHarness WaitUntil(string time) => new EngineHarness()
        .WithJourney($$"""
            id: timed
            name: Timed
            entry:
              event: go
            steps:
              - id: until
                wait_until: { time: "{{time}}" }
              - id: mail
                email: { template: mail }
            """)
        .WithTemplate("mail", "Mail")
        .Load();

    private static string Customer(string zone) => $$"""{"email":"ann@example.com","timeZone":"{{zone}}"}""";

    private static DateTimeOffset DeferredSend(string zone, string eventAt)
    {
        using var h = Windowed();
        h.Event("go", eventAt, customer: Customer(zone));
        var deferred = h.Single(OutcomeKind.Deferred);
        h.AdvanceTo(EngineHarness.At(eventAt).AddDays(3));
        var send = Assert.Single(h.Sends);
        Assert.Equal(EngineHarness.At(EngineHarness.Detail(deferred, "until")!), send.At);
        return send.At;
    }

    private static DateTimeOffset WaitedUntil(string time, string zone, string eventAt)
    {
        using var h = WaitUntil(time);
        h.Event("go", eventAt, customer: Customer(zone));
        h.AdvanceTo(EngineHarness.At(eventAt).AddDays(3));
        return Assert.Single(h.Sends).At;
    }

    private static EngineHarness NightWindow(string from, string to) => new EngineHarness()
        .WithJourney($$"""
            id: night
            name: Night
            entry:
              event: go
            time_zone: Europe/Amsterdam
            send_window:
              days: [mon, tue, wed, thu, fri, sat, sun]
              from: "{{from}}"
              to: "{{to}}"
            steps:
              - id: until
                wait_until: { time: "02:30" }
              - id: mail
                email: { template: mail }
            """)
        .WithTemplate("mail", "Mail")
        .Load();

    // Amsterdam, 29 March 2026: clocks jump from 02:00 CET (+1) to 03:00 CEST (+2), so 02:30 does not exist; the wait
    // lands at 03:30 CEST (01:30Z). A window 02:30-03:00 has no real minute that night: the mail goes at the next
    // opening, 02:30 CEST on the 30th (00:30Z). A window 02:30-04:00 is open from 03:00 on: 03:30 is inside it.
    [Theory]
    [InlineData("02:30", "03:00", "2026-03-30T00:30:00Z")]
    [InlineData("02:30", "04:00", "2026-03-29T01:30:00Z")]
    public void A_window_opening_in_a_daylight_saving_gap_is_not_an_opening(string from, string to, string expected)
    {
        using var h = NightWindow(from, to);
        h.Event("go", "2026-03-28T20:00:00Z", customer: """{"email":"ann@example.com"}""");
        h.AdvanceTo(EngineHarness.At("2026-04-01T00:00:00Z"));

        var send = Assert.Single(h.Sends);
        Assert.Equal(EngineHarness.At(expected), send.At);
        var local = TimeZoneInfo.ConvertTime(send.At, TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam"));
        Assert.True(TimeOnly.FromDateTime(local.DateTime) >= TimeOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture)
            && TimeOnly.FromDateTime(local.DateTime) < TimeOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture), $"sent at {local:HH:mm} local");
    }

    // Send window 09:00–21:00, the event at 22:00 local the evening before the change.
    [Theory]
    [InlineData("Europe/Amsterdam", "2026-03-28T21:00:00Z", "2026-03-29T07:00:00Z")]   // 22:00 CET → 09:00 CEST (+2)
    [InlineData("Europe/Amsterdam", "2026-10-24T20:00:00Z", "2026-10-25T08:00:00Z")]   // 22:00 CEST → 09:00 CET (+1)
    [InlineData("America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T13:00:00Z")]   // 22:00 EST → 09:00 EDT (-4)
    [InlineData("America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T14:00:00Z")]   // 22:00 EDT → 09:00 EST (-5)
    [InlineData("Australia/Sydney", "2026-04-04T11:00:00Z", "2026-04-04T23:00:00Z")]   // 22:00 AEDT → 09:00 AEST (+10)
    [InlineData("Australia/Sydney", "2026-10-03T12:00:00Z", "2026-10-03T22:00:00Z")]   // 22:00 AEST → 09:00 AEDT (+11)
    public void A_send_deferred_over_a_daylight_saving_change_goes_at_the_local_opening(string zone, string eventAt, string expected)
    {
        Assert.Equal(EngineHarness.At(expected), DeferredSend(zone, eventAt));
    }

    // Just after midnight local on the day of the change, the window opens at 09:00 in the new offset.
    [Theory]
    [InlineData("Europe/Amsterdam", "2026-03-28T23:30:00Z", "2026-03-29T07:00:00Z")]   // 00:30 CET
    [InlineData("Europe/Amsterdam", "2026-10-24T22:30:00Z", "2026-10-25T08:00:00Z")]   // 00:30 CEST
    [InlineData("America/New_York", "2026-03-08T05:30:00Z", "2026-03-08T13:00:00Z")]   // 00:30 EST
    [InlineData("America/New_York", "2026-11-01T04:30:00Z", "2026-11-01T14:00:00Z")]   // 00:30 EDT
    [InlineData("Australia/Sydney", "2026-04-04T13:30:00Z", "2026-04-04T23:00:00Z")]   // 00:30 AEDT
    [InlineData("Australia/Sydney", "2026-10-03T14:30:00Z", "2026-10-03T22:00:00Z")]   // 00:30 AEST
    public void A_send_deferred_from_the_night_of_the_change_goes_at_that_mornings_opening(string zone, string eventAt, string expected)
    {
        Assert.Equal(EngineHarness.At(expected), DeferredSend(zone, eventAt));
    }

    [Theory]
    [InlineData("Europe/Amsterdam", "2026-03-29T06:59:00Z", "2026-03-29T07:00:00Z")]   // 08:59 CEST: one minute to go
    [InlineData("Europe/Amsterdam", "2026-10-25T07:59:00Z", "2026-10-25T08:00:00Z")]   // 08:59 CET
    [InlineData("America/New_York", "2026-03-08T12:59:00Z", "2026-03-08T13:00:00Z")]
    [InlineData("America/New_York", "2026-11-01T13:59:00Z", "2026-11-01T14:00:00Z")]
    [InlineData("Australia/Sydney", "2026-04-04T22:59:00Z", "2026-04-04T23:00:00Z")]
    [InlineData("Australia/Sydney", "2026-10-03T21:59:00Z", "2026-10-03T22:00:00Z")]
    public void A_send_just_before_the_opening_on_the_day_of_the_change_waits_for_the_new_offsets_opening(string zone, string eventAt, string expected)
    {
        Assert.Equal(EngineHarness.At(expected), DeferredSend(zone, eventAt));
    }

    [Theory]
    [InlineData("Europe/Amsterdam", "2026-03-29T07:00:00Z")]   // 09:00 CEST: the window is open, send at once
    [InlineData("Europe/Amsterdam", "2026-10-25T08:00:00Z")]
    [InlineData("America/New_York", "2026-03-08T13:00:00Z")]
    [InlineData("America/New_York", "2026-11-01T14:00:00Z")]
    [InlineData("Australia/Sydney", "2026-04-04T23:00:00Z")]
    [InlineData("Australia/Sydney", "2026-10-03T22:00:00Z")]
    public void A_send_at_the_opening_on_the_day_of_the_change_is_not_deferred(string zone, string eventAt)
    {
        using var h = Windowed();
        h.Event("go", eventAt, customer: Customer(zone));

        Assert.Empty(h.OutcomesOf(OutcomeKind.Deferred));
        Assert.Equal(EngineHarness.At(eventAt), Assert.Single(h.Sends).At);
    }

    // wait_until 09:00 from the evening before the change.
    [Theory]
    [InlineData("Europe/Amsterdam", "2026-03-28T21:00:00Z", "2026-03-29T07:00:00Z")]
    [InlineData("Europe/Amsterdam", "2026-10-24T20:00:00Z", "2026-10-25T08:00:00Z")]
    [InlineData("America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T13:00:00Z")]
    [InlineData("America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T14:00:00Z")]
    [InlineData("Australia/Sydney", "2026-04-04T11:00:00Z", "2026-04-04T23:00:00Z")]
    [InlineData("Australia/Sydney", "2026-10-03T12:00:00Z", "2026-10-03T22:00:00Z")]
    public void Wait_until_across_a_daylight_saving_change_continues_at_the_local_time(string zone, string eventAt, string expected)
    {
        Assert.Equal(EngineHarness.At(expected), WaitedUntil("09:00", zone, eventAt));
    }

    // A local time in the spring-forward gap does not exist: it moves forward by the gap (02:30 → 03:30 new offset).
    [Theory]
    [InlineData("Europe/Amsterdam", "02:30", "2026-03-28T23:30:00Z", "2026-03-29T01:30:00Z")]   // 03:30 CEST
    [InlineData("America/New_York", "02:30", "2026-03-08T05:30:00Z", "2026-03-08T07:30:00Z")]   // 03:30 EDT
    [InlineData("Australia/Sydney", "02:30", "2026-10-03T14:30:00Z", "2026-10-03T16:30:00Z")]   // 03:30 AEDT
    [InlineData("Europe/Amsterdam", "02:00", "2026-03-28T23:30:00Z", "2026-03-29T01:00:00Z")]   // 02:00 is in the gap too: 03:00 CEST
    [InlineData("Europe/Amsterdam", "02:59", "2026-03-28T23:30:00Z", "2026-03-29T01:59:00Z")]   // 03:59 CEST
    public void Wait_until_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap(string zone, string time, string eventAt, string expected)
    {
        Assert.Equal(EngineHarness.At(expected), WaitedUntil(time, zone, eventAt));
    }

    // A local time that occurs twice (fall back) takes the earlier instant, in the summer offset.
    [Theory]
    [InlineData("Europe/Amsterdam", "02:30", "2026-10-24T22:30:00Z", "2026-10-25T00:30:00Z")]   // 02:30 CEST (+2), not CET
    [InlineData("America/New_York", "01:30", "2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z")]   // 01:30 EDT (-4), not EST
    [InlineData("Australia/Sydney", "02:30", "2026-04-04T13:30:00Z", "2026-04-04T15:30:00Z")]   // 02:30 AEDT (+11), not AEST
    public void Wait_until_an_ambiguous_fall_back_time_takes_the_earlier_instant(string zone, string time, string eventAt, string expected)
    {
        Assert.Equal(EngineHarness.At(expected), WaitedUntil(time, zone, eventAt));
    }

    [Fact]
    public void Wait_until_entered_during_the_second_pass_of_an_ambiguous_hour_waits_for_the_next_day()
    {
        // 02:40 CET on 25 October (the repeated hour, second time) is 01:40 UTC: today's 02:30 (earlier instant,
        // 00:30 UTC) has passed, so the next 02:30 is on 26 October in CET = 01:30 UTC.
        Assert.Equal(EngineHarness.At("2026-10-26T01:30:00Z"), WaitedUntil("02:30", "Europe/Amsterdam", "2026-10-25T01:40:00Z"));
    }

    [Fact]
    public void The_local_clock_resolves_gap_and_ambiguous_times_as_the_contract_says()
    {
        var amsterdam = LocalClock.ZoneFor("Europe/Amsterdam", null).Zone;

        Assert.Equal(EngineHarness.At("2026-03-29T01:30:00Z"), LocalClock.ToInstant(new DateTime(2026, 3, 29, 2, 30, 0), amsterdam));
        Assert.Equal(EngineHarness.At("2026-10-25T00:30:00Z"), LocalClock.ToInstant(new DateTime(2026, 10, 25, 2, 30, 0), amsterdam));
        Assert.Equal(EngineHarness.At("2026-07-01T10:00:00Z"), LocalClock.ToInstant(new DateTime(2026, 7, 1, 12, 0, 0), amsterdam));
    }
}
