using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// The window and cap judgement the engine and the hand-off share. Expected instants are worked out by hand:
/// Amsterdam is UTC+1 in early March 2026 (summer time starts on 29 March), and 2 March 2026 is a Monday.
/// </summary>
public sealed class SendRulesTests
{
    private static readonly TimeZoneInfo Amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    private static readonly SendWindow Weekdays9To17 = new(
        new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday },
        new TimeOnly(9, 0), new TimeOnly(17, 0));

    private static readonly SendWindow Daily8To21 = new(Enum.GetValues<DayOfWeek>().ToHashSet(), new TimeOnly(8, 0), new TimeOnly(21, 0));

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Inside_the_window_and_under_the_cap_a_mail_may_go()
    {
        // Monday 11:00 in Amsterdam.
        Assert.Null(SendRules.Judge(Weekdays9To17, Amsterdam, new FrequencyCap(1, TimeSpan.FromDays(1)), [], Utc("2026-03-02T10:00:00Z")));
    }

    [Fact]
    public void After_the_window_closes_the_mail_waits_for_the_next_days_opening_in_the_customers_zone()
    {
        // Monday 20:00 in Amsterdam: Tuesday 09:00 local is 08:00 UTC.
        var deferral = SendRules.Judge(Weekdays9To17, Amsterdam, null, [], Utc("2026-03-02T19:00:00Z"));
        Assert.Equal(new SendDeferral("send-window", Utc("2026-03-03T08:00:00Z"), "Europe/Amsterdam"), deferral);
    }

    [Fact]
    public void On_a_Friday_evening_the_next_opening_is_Monday_morning()
    {
        // Friday 6 March, 18:30 local; Monday 9 March, 09:00 local.
        var deferral = SendRules.Judge(Weekdays9To17, Amsterdam, null, [], Utc("2026-03-06T17:30:00Z"));
        Assert.Equal(Utc("2026-03-09T08:00:00Z"), deferral!.Until);
    }

    [Fact]
    public void A_mail_decided_at_20_00_and_handed_off_at_03_00_is_held_until_08_00()
    {
        // Issue 9, item 3: decided inside an 08:00-21:00 window, the worker down until 03:00 local.
        Assert.Null(SendRules.Judge(Daily8To21, Amsterdam, null, [], Utc("2026-03-02T19:00:00Z")));
        var deferral = SendRules.Judge(Daily8To21, Amsterdam, null, [], Utc("2026-03-03T02:00:00Z"));
        Assert.Equal(new SendDeferral("send-window", Utc("2026-03-03T07:00:00Z"), "Europe/Amsterdam"), deferral);
    }

    [Fact]
    public void At_the_cap_the_mail_waits_until_the_oldest_counted_send_is_a_period_old()
    {
        var at = Utc("2026-03-02T12:00:00Z");
        var cap = new FrequencyCap(2, TimeSpan.FromDays(1));
        // 23 hours and 1 hour ago: the first leaves the day at 13:00.
        var deferral = SendRules.Judge(null, TimeZoneInfo.Utc, cap, [Utc("2026-03-02T11:00:00Z"), Utc("2026-03-01T13:00:00Z")], at);
        Assert.Equal(new SendDeferral("frequency-cap", Utc("2026-03-02T13:00:00Z"), null), deferral);
    }

    [Fact]
    public void Sends_a_whole_period_ago_or_after_the_moment_judged_do_not_count()
    {
        var at = Utc("2026-03-02T12:00:00Z");
        var cap = new FrequencyCap(1, TimeSpan.FromDays(1));
        Assert.Null(SendRules.Judge(null, TimeZoneInfo.Utc, cap, [Utc("2026-03-01T12:00:00Z"), Utc("2026-03-02T12:00:01Z")], at));
        Assert.NotNull(SendRules.Judge(null, TimeZoneInfo.Utc, cap, [Utc("2026-03-01T12:00:01Z")], at));
    }

    [Fact]
    public void The_window_is_judged_before_the_cap()
    {
        var cap = new FrequencyCap(1, TimeSpan.FromHours(1));
        var deferral = SendRules.Judge(Weekdays9To17, Amsterdam, cap, [Utc("2026-03-02T18:30:00Z")], Utc("2026-03-02T19:00:00Z"));
        Assert.Equal("send-window", deferral!.Reason);
    }

    [Fact]
    public void The_configured_cap_is_read_from_the_sending_options()
    {
        Assert.Null(FrequencyCap.From(new SendingOptions()));
        Assert.Equal(new FrequencyCap(3, TimeSpan.FromHours(36)),
            FrequencyCap.From(new SendingOptions { FrequencyCap = new FrequencyCapOptions { Count = 3, Period = "36h" } }));
    }

    [Fact]
    public void A_deferral_at_hand_off_is_a_deferred_outcome_at_that_moment_marked_hand_off()
    {
        var email = new EmailToSend
        {
            SendKey = "k", At = Utc("2026-03-02T19:00:00Z"), JourneyId = "j", Version = "1", InstanceId = "i", StepId = "s",
            CustomerId = "c", Variant = "b", To = "ann@example.com", Subject = "Hi", Html = "<p>Hi</p>",
        };
        var outcome = email.DeferredAtHandOff(new SendDeferral("send-window", Utc("2026-03-03T07:00:00Z"), "Europe/Amsterdam"), Utc("2026-03-03T02:00:00Z"));

        Assert.Equal(new Outcome(Utc("2026-03-03T02:00:00Z"), "j", "1", "c", "i", "s", OutcomeKind.Deferred, "b", outcome.Detail), outcome);
        Assert.Equal(new Dictionary<string, object?>
        {
            ["reason"] = "send-window", ["until"] = "2026-03-03T07:00:00Z", ["zone"] = "Europe/Amsterdam", ["at"] = "hand-off",
        }, outcome.Detail);
    }
}
