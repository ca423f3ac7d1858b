using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>Durations of the journey language: an integer and a unit (30s, 15m, 1h, 2d, 1w).</summary>
public sealed class DurationTests
{
    public static TheoryData<string, TimeSpan> Valid => new()
    {
        { "30s", TimeSpan.FromSeconds(30) },
        { "15m", TimeSpan.FromMinutes(15) },
        { "1h", TimeSpan.FromHours(1) },
        { "2d", TimeSpan.FromDays(2) },
        { "1w", TimeSpan.FromDays(7) },
        { "90m", TimeSpan.FromMinutes(90) },
        { "36h", TimeSpan.FromHours(36) },
        { "100000s", TimeSpan.FromSeconds(100_000) },
        { "100000w", TimeSpan.FromDays(700_000) },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_whole_number_and_a_unit_is_a_duration(string text, TimeSpan expected)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(expected, value);
        Assert.Equal(expected, Duration.Parse(text));
    }

    [Theory]
    [InlineData(" 2d ")]
    [InlineData("2 d")]
    public void Spaces_around_and_between_number_and_unit_are_tolerated(string text)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromDays(2), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("0s")]
    [InlineData("0d")]
    [InlineData("-1h")]
    [InlineData("+1h")]
    [InlineData("1.5h")]
    [InlineData("1,5h")]
    [InlineData("1")]
    [InlineData("h")]
    [InlineData("1x")]
    [InlineData("1H")]
    [InlineData("1hour")]
    [InlineData("1 day")]
    [InlineData("1h30m")]
    [InlineData("P1D")]
    [InlineData("01:00:00")]
    [InlineData("100001s")]
    [InlineData("99999999999999999999d")]
    [InlineData("１h")]
    public void Anything_else_is_not_a_duration(string? text)
    {
        Assert.False(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Fact]
    public void Parse_explains_the_format_when_it_fails()
    {
        var error = Assert.Throws<FormatException>(() => Duration.Parse("7x"));

        Assert.Equal("'7x' is not a duration: write a positive whole number and a unit: 30s, 15m, 1h, 2d or 1w", error.Message);
    }

    [Theory]
    [InlineData(0, 0, 45, "45s")]
    [InlineData(0, 15, 0, "15m")]
    [InlineData(0, 90, 0, "90m")]
    [InlineData(1, 0, 0, "1h")]
    [InlineData(36, 0, 0, "36h")]
    [InlineData(48, 0, 0, "2d")]
    [InlineData(24 * 10, 0, 0, "10d")]
    [InlineData(24 * 14, 0, 0, "2w")]
    [InlineData(1, 0, 1, "3601s")]
    public void Format_gives_the_shortest_exact_form(int hours, int minutes, int seconds, string expected) =>
        Assert.Equal(expected, Duration.Format(new TimeSpan(hours, minutes, seconds)));

    [Fact]
    public void Format_of_zero_is_zero_seconds() =>
        Assert.Equal("0s", Duration.Format(TimeSpan.Zero));

    [Theory]
    [InlineData("30s")]
    [InlineData("15m")]
    [InlineData("1h")]
    [InlineData("2d")]
    [InlineData("1w")]
    [InlineData("25h")]
    [InlineData("8d")]
    public void Format_and_parse_round_trip(string text) =>
        Assert.Equal(text, Duration.Format(Duration.Parse(text)));

    [Theory]
    [InlineData("60s", "1m")]
    [InlineData("60m", "1h")]
    [InlineData("24h", "1d")]
    [InlineData("7d", "1w")]
    [InlineData("168h", "1w")]
    public void Format_normalizes_to_the_largest_exact_unit(string text, string expected) =>
        Assert.Equal(expected, Duration.Format(Duration.Parse(text)));
}
