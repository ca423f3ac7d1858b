using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>Values: expressions, durations, reentry, time zones, on_change, send windows, times and split weights.</summary>
public sealed class ValueValidationTests : IDisposable
{
    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void An_invalid_when_is_reported_at_the_column_inside_the_quoted_string()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              when: "event.properties.total >= >= 20"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        // Column 10 is the first character inside the quotes; the expression stops making sense 23 characters later.
        Expect.Error(result, file, 5, 33, "'when' is not a valid expression: unexpected '>= >= 20'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_invalid_unquoted_when_is_reported_at_its_column()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              when: event.properties.total = 20
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 32, "unexpected '= 20': write '==' to compare");
    }

    [Fact]
    public void Invalid_conditions_are_reported_in_goal_exit_wait_for_and_branch()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            goal:
              event: order.placed
              when: "event.properties.total > 1 && true"
            exit:
              - event: cart.emptied
                when: "event.properties.cartId == 'k-1"
            steps:
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  when: "== entry.properties.cartId"
                  timeout: 1d
              - id: check
                branch:
                  - when: "customer.attributes.vip | upcase"
                    next: done
                  - else: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 37, "write 'and' instead of '&&'");
        Expect.Error(result, file, 10, 36, "unexpected '== 'k-1': a text value is missing its closing quote");
        Expect.Error(result, file, 15, 14, "'== entry.properties.cartId' does not start with a name or a value");
        Expect.Error(result, file, 19, 40, "filters ('|') cannot be used in a condition");
        Expect.ErrorCount(result, 4);
    }

    [Fact]
    public void An_empty_when_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              when: ""
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 10, "'when' is not a valid expression: the expression is empty");
    }

    [Fact]
    public void An_invalid_key_expression_is_reported_at_its_column_with_a_key_example()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              key: "event.properties.("
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 25, "'key' is not a valid expression: unexpected '.('; use Liquid's syntax, e.g. \"event.properties.cartId\"");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_invalid_wait_duration_is_reported_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: 1hour
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 11, "wait '1hour' is not a duration: write a positive whole number and a unit: 30s, 15m, 1h, 2d or 1w");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_quoted_invalid_wait_duration_is_reported_inside_the_quotes()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: pause
                wait: "-1h"
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 12, "wait '-1h' is not a duration");
    }

    [Fact]
    public void An_invalid_timeout_is_reported_at_its_value()
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
                  timeout: "0d"
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 9, 17, "timeout '0d' is not a duration");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_invalid_goal_within_is_reported_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            goal:
              event: order.placed
              within: 3 days
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 11, "within '3 days' is not a duration");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_invalid_reentry_duration_is_reported_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              reentry: after 7x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 12, "reentry 'after 7x' is not valid: write 'never', 'always' or 'after <duration>' (e.g. 'after 7d')");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_unknown_reentry_word_is_reported_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              reentry: sometimes
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 12, "reentry 'sometimes' is not valid: write 'never', 'always' or 'after <duration>'");
        Expect.ErrorCount(result, 1);
    }

    [Theory]
    [InlineData("never", ReentryKind.Never, 0)]
    [InlineData("always", ReentryKind.Always, 0)]
    [InlineData("after 7d", ReentryKind.After, 7)]
    public void Valid_reentry_values_are_read(string reentry, ReentryKind kind, int days)
    {
        _folder.Journey("demo.yaml", $"""
            id: demo
            name: Demo
            entry:
              event: x
              reentry: {reentry}
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        Assert.Equal(new Reentry(kind, TimeSpan.FromDays(days)), Assert.Single(result.Journeys).Entry.Reentry);
    }

    [Fact]
    public void An_unknown_time_zone_is_reported_with_the_closest_zone()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            time_zone: Europe/Amsterdm
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 12, "time_zone 'Europe/Amsterdm' is not a known IANA time zone; did you mean 'Europe/Amsterdam'?");
        Expect.ErrorCount(result, 1);
    }

    [Theory]
    [InlineData("EST")]
    [InlineData("CET")]
    [InlineData("W. Europe Standard Time")]
    [InlineData("+01:00")]
    [InlineData("europe/amsterdam")]
    public void Abbreviations_windows_names_and_offsets_are_not_accepted_as_time_zones(string zone)
    {
        var file = _folder.Journey("demo.yaml", $$"""
            id: demo
            name: Demo
            entry:
              event: x
            time_zone: "{{zone}}"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        // Column 13: the value inside its quotes.
        Expect.Error(result, file, 5, 13, $"time_zone '{zone}' is not a known IANA time zone");
        Expect.ErrorCount(result, 1);
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("Etc/UTC")]
    [InlineData("America/Argentina/Buenos_Aires")]
    [InlineData("Asia/Kolkata")]
    public void Iana_area_and_location_names_and_utc_are_time_zones(string zone)
    {
        _folder.Journey("demo.yaml", $$"""
            id: demo
            name: Demo
            entry:
              event: x
            time_zone: {{zone}}
            steps:
              - id: pause
                wait: 1h
            """);

        Expect.NoDiagnostics(_folder.Load());
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("priority: 10", 10)]
    [InlineData("priority: -3", -3)]
    [InlineData("priority: +2", 2)]
    public void Priority_is_a_whole_number_and_defaults_to_0(string line, int expected)
    {
        _folder.Journey("demo.yaml", $$"""
            id: demo
            name: Demo
            {{line}}
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        Assert.Equal(expected, Assert.Single(result.Journeys).Priority);
    }

    [Theory]
    [InlineData("high")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void A_priority_that_is_not_a_whole_number_is_reported_at_its_value(string value)
    {
        var file = _folder.Journey("demo.yaml", $$"""
            id: demo
            name: Demo
            priority: {{value}}
            entry:
              event: x
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 3, 11, $"priority '{value}' must be a whole number");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void An_invalid_on_change_is_reported_at_its_value()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            on_change: move
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 12, "on_change 'move' is not valid: write 'pin'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_send_window_with_unknown_days_and_bad_times_reports_each_of_them()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            send_window:
              days: [mon, tues, funday]
              from: "9:00"
              to: "25:00"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 15, "'tues' is not a day: use mon, tue, wed, thu, fri, sat or sun; did you mean 'tue'?");
        Expect.Error(result, file, 6, 21, "'funday' is not a day");
        Expect.Error(result, file, 7, 10, "from '9:00' is not a time: write \"HH:mm\" on the 24-hour clock");
        Expect.Error(result, file, 8, 8, "to '25:00' is not a time");
        Expect.ErrorCount(result, 4);
    }

    [Fact]
    public void A_send_window_with_empty_days_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            send_window:
              days: []
              from: "09:00"
              to: "17:00"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 9, "'days' must be a non-empty list");
    }

    [Theory]
    [InlineData("21:00", "09:00")]
    [InlineData("09:00", "09:00")]
    public void A_send_window_that_does_not_end_after_it_starts_is_reported_at_to(string from, string to)
    {
        var file = _folder.Journey("demo.yaml", $"""
            id: demo
            name: Demo
            entry:
              event: x
            send_window:
              from: "{from}"
              to: "{to}"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 8, $"send_window 'to' ({to}) must be later than 'from' ({from}) on the same day");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_send_window_without_to_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            send_window:
              from: "09:00"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 6, 3, "send_window has no 'to'");
    }

    [Fact]
    public void A_wait_until_with_a_bad_time_and_day_reports_both()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: morning
                wait_until:
                  time: "24:00"
                  days: [monday]
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 14, "time '24:00' is not a time: write \"HH:mm\"");
        Expect.Error(result, file, 9, 14, "'monday' is not a day: use mon, tue, wed, thu, fri, sat or sun; did you mean 'mon'?");
        Expect.ErrorCount(result, 2);
    }

    [Fact]
    public void A_wait_until_without_time_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: morning
                wait_until:
                  days: [mon]
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 7, "wait_until has no 'time'");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public void A_split_weight_that_is_not_a_positive_whole_number_is_reported_at_its_value(string weight)
    {
        var file = _folder.Journey("demo.yaml", $$"""
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: offer-test
                split:
                  - variant: discount
                    weight: {{weight}}
                    next: done
                  - variant: control
                    weight: 50
                    next: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 9, 17, $"weight '{weight}' must be a positive whole number (weights are relative, e.g. 45/45/10)");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_split_variant_without_weight_is_reported()
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
                    next: done
                  - variant: control
                    weight: 50
                    next: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 9, "the split variant needs a 'weight'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_duplicate_variant_is_reported_at_the_second_one()
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
                    next: done
                  - variant: discount
                    weight: 50
                    next: done
              - id: done
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 11, 18, "variant 'discount' appears twice in this split; give each variant its own name");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_goal_exit_that_is_not_a_boolean_is_reported()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            goal:
              event: order.placed
              exit: sometimes
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 7, 9, "'exit' must be true or false");
    }
}
