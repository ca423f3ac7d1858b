namespace Orchestrator.Core.Tests.Journeys;

/// <summary>Templates: existence, Liquid errors (positions in the template file), front matter and subjects.</summary>
public sealed class TemplateValidationTests : IDisposable
{
    private const string OneEmail = """
        id: demo
        name: Demo
        entry:
          event: x
        steps:
          - id: hello
            email:
              template: hello
        """;

    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_valid_template_is_loaded_with_the_journey()
    {
        _folder.Journey("demo.yaml", OneEmail);
        _folder.SimpleTemplate("hello");
        _folder.TextPart("hello", "Hello {{ customer.firstName | default: 'there' }}");

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        var template = Assert.Single(Assert.Single(result.Journeys).Templates).Value;
        Assert.NotNull(template.Text);
    }

    [Fact]
    public void A_missing_template_suggests_the_closest_template()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
            steps:
              - id: reminder
                email:
                  template: cart-remindr
            """);
        _folder.SimpleTemplate("cart-reminder");
        _folder.SimpleTemplate("welcome");

        var result = _folder.Load();

        Expect.Error(result, file, 8, 17, "template 'cart-remindr' not found: create journeys/templates/cart-remindr.liquid; did you mean 'cart-reminder'?");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void Bad_liquid_in_the_body_is_reported_in_the_template_file_after_the_front_matter()
    {
        var file = _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: Hi
            preheader: Still there?
            ---
            <p>Hello</p>
            <p>{{ customer.firstName </p>
            """);

        var result = _folder.Load();

        var error = Expect.Error(result, template, 6, 25, "invalid Liquid: End of tag '}}' was expected");
        Assert.DoesNotContain('\n', error.Message);
        Expect.Error(result, file, 8, 17, "template 'hello' has errors");
        Assert.Equal([file], result.BrokenFiles);
    }

    [Fact]
    public void Bad_liquid_in_a_template_without_front_matter_is_reported_at_its_own_line()
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
                  subject: Hi
            """);
        var template = _folder.Template("hello", """
            <p>Hello</p>
            <p>{{ customer.firstName | }}</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 2, 27, "invalid Liquid: An identifier was expected after the '|' sign");
    }

    [Fact]
    public void An_unclosed_block_is_reported_where_it_opens()
    {
        _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: Hi
            ---
            <p>Hello</p>
            {% if customer.attributes.vip %}
            <p>Thanks for being a VIP</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 5, 1, "'{% if %}' is never closed: add '{% endif %}' where the block ends");
    }

    [Fact]
    public void The_position_of_a_liquid_error_is_not_shifted_by_the_required_filter()
    {
        _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: Hi
            ---
            <p>{{ customer.firstName | required }} {{ customer.lastName | }}</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 4, 62, "An identifier was expected after the '|' sign");
    }

    [Fact]
    public void Bad_liquid_in_the_front_matter_subject_is_reported_at_its_column()
    {
        _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: "Hi {{ customer. }}"
            ---
            <p>Hello</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 2, 25, "invalid Liquid: End of tag '}}' was expected");
    }

    [Fact]
    public void Bad_liquid_in_the_text_part_is_reported_in_the_text_file()
    {
        _folder.Journey("demo.yaml", OneEmail);
        _folder.SimpleTemplate("hello");
        var text = _folder.TextPart("hello", """
            Hello,

            {% for item in entry.properties.items %}
            - {{ item.name }}
            """);

        var result = _folder.Load();

        Expect.Error(result, text, 3, 1, "'{% for %}' is never closed: add '{% endfor %}'");
    }

    [Fact]
    public void Front_matter_that_is_not_yaml_is_reported_on_its_line_in_the_template()
    {
        _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            preheader: Still there?
            subject: "Hi
            ---
            <p>Hello</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 3, 10, "the front matter is not valid YAML");
    }

    [Fact]
    public void Front_matter_that_is_never_closed_is_reported()
    {
        _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: Hi
            <p>Hello</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 1, 1, "the front matter that starts here is never closed: end it with a line '---'");
    }

    [Fact]
    public void An_unknown_front_matter_key_suggests_the_closest_key()
    {
        var file = _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: Hi
            prehaeder: Still there?
            ---
            <p>Hello</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 3, 1, "unknown front matter field 'prehaeder'; did you mean 'preheader'? (known: subject, from, preheader)");
        Expect.Error(result, file, 8, 17, "template 'hello' has errors");
    }

    [Fact]
    public void A_template_without_subject_used_by_a_step_without_subject_is_an_error()
    {
        var file = _folder.Journey("demo.yaml", OneEmail);
        _folder.Template("hello", """
            ---
            preheader: Still there?
            ---
            <p>Hello</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 8, 17, "template 'hello' has no 'subject' in its front matter: add one there or give this step a 'subject'");
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void A_template_without_subject_is_fine_when_the_step_gives_one()
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
                  subject: "Hello {{ customer.firstName }}"
            """);
        _folder.Template("hello", "<p>Hello</p>");

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
        Assert.Single(result.Journeys);
    }

    [Fact]
    public void Bad_liquid_in_a_step_subject_is_reported_inside_the_quoted_string()
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
                  subject: "Hello {{ customer.firstName"
            """);
        _folder.SimpleTemplate("hello");

        var result = _folder.Load();

        var error = Expect.Error(result, file, 9, 44, "the subject is not valid Liquid: End of tag '}}' was expected");
        Assert.DoesNotContain('\n', error.Message);
        Expect.ErrorCount(result, 1);
    }

    [Fact]
    public void Every_journey_that_uses_a_broken_template_is_broken()
    {
        var first = _folder.Journey("a.yaml", OneEmail);
        var second = _folder.Journey("b.yaml", OneEmail.Replace("id: demo", "id: other", StringComparison.Ordinal));
        var template = _folder.Template("hello", """
            ---
            subject: Hi
            ---
            <p>{{ customer.firstName </p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 4, 25, "invalid Liquid");
        Expect.Error(result, first, 8, 17, "template 'hello' has errors");
        Expect.Error(result, second, 8, 17, "template 'hello' has errors");
        Assert.Empty(result.Journeys);
        Assert.Equal([first, second], result.BrokenFiles);
        Assert.Single(result.Diagnostics, d => d.Location.File == template);
    }
}
