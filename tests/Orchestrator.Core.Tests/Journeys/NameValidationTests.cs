using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Tests.Engine;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>
/// Misspelt names and filters are load errors with file:line:col and a "did you mean": a condition or template that
/// reads a root the engine does not provide would be nil forever, an unknown filter would do nothing.
/// </summary>
public sealed class NameValidationTests : IDisposable
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
    public void A_condition_whose_root_is_misspelt_is_an_error_with_did_you_mean()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: cart.abandoned
              when: "evnt.properties.total >= 20"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 10, "'when': 'evnt' is not a name in scope; did you mean 'event'? (a condition can read event, entry, customer and journey)");
        Expect.ErrorCount(result, 1);
        Assert.Empty(result.Journeys);
    }

    [Fact]
    public void Misspelt_roots_are_reported_in_every_condition_and_the_key_at_their_columns()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: cart.abandoned
              key: evnt.properties.cartId
            goal:
              event: order.placed
              when: "event.properties.cartId == entyr.properties.cartId"
            exit:
              - event: cart.emptied
                when: event.properties.cartId == Entry.properties.cartId
            steps:
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  when: "customer.attributes.vip and custmer.email contains '@'"
              - id: by-vip
                branch:
                  - when: "jouney.variant == 'control'"
                    next: end
                  - else: end
              - id: end
                exit: {}
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 8, "'key': 'evnt' is not a name in scope; did you mean 'event'?");
        Expect.Error(result, file, 8, 37, "'when': 'entyr' is not a name in scope; did you mean 'entry'?");
        Expect.Error(result, file, 11, 38, "'when': 'Entry' is not a name in scope; did you mean 'entry'?");
        Expect.Error(result, file, 16, 42, "'when': 'custmer' is not a name in scope; did you mean 'customer'?");
        Expect.Error(result, file, 19, 16, "'when': 'jouney' is not a name in scope; did you mean 'journey'?");
        Expect.ErrorCount(result, 5);
    }

    [Fact]
    public void Send_is_only_in_scope_in_templates()
    {
        var file = _folder.Journey("demo.yaml", """
            id: demo
            name: Demo
            entry:
              event: x
              when: "send.key == 'k'"
            steps:
              - id: pause
                wait: 1h
            """);

        var result = _folder.Load();

        Expect.Error(result, file, 5, 10, "'when': 'send' is only in scope in email templates (a condition can read event, entry, customer and journey)");
    }

    [Fact]
    public void Unknown_filters_in_a_template_are_errors_in_the_template_file()
    {
        var journey = _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: "Hi {{ customer.firstName | defualt: 'there' }}"
            ---
            <p>Hello {{ customer.firstName | defualt: "there" }},</p>
            <p>Total: {{ entry.properties.total | money }}</p>
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 2, 38, "'defualt' is not a Liquid filter; did you mean 'default'?");
        Expect.Error(result, template, 4, 34, "'defualt' is not a Liquid filter; did you mean 'default'?");
        Expect.Error(result, template, 5, 39, "'money' is not a Liquid filter (the filters are Liquid's standard ones");
        Expect.Error(result, journey, 8, 17, "template 'hello' has errors");
        Expect.ErrorCount(result, 4);
    }

    [Fact]
    public void Misspelt_roots_in_a_template_are_errors_in_the_body_the_front_matter_and_the_text_part()
    {
        _folder.Journey("demo.yaml", OneEmail);
        var template = _folder.Template("hello", """
            ---
            subject: "{{ custome.firstName | default: 'Hi' }}, your cart"
            preheader: "We saved {{ entry.properties.itemCount }} items."
            ---
            <p>Hello {{ customer.firstName }},</p>
            {% if evnt.properties.orderId %}<p>Thanks</p>{% endif %}
            <a href="https://shop.example/survey?send={{ sned.key }}">Tell us</a>
            """);
        var text = _folder.TextPart("hello", """
            Hello {{ customer.firstName }},
              you left {{ entry.properties.itemCount | default: entry.propertes.count }} items: {{ entri.properties.total }}
            """);

        var result = _folder.Load();

        Expect.Error(result, template, 2, 14, "'custome' is not a name in scope; did you mean 'customer'? (a template can read event, entry, customer, journey, send and unsubscribe_url, and the names it sets with assign, capture or for)");
        Expect.Error(result, template, 6, 7, "'evnt' is not a name in scope; did you mean 'event'?");
        Expect.Error(result, template, 7, 46, "'sned' is not a name in scope; did you mean 'send'?");
        Expect.Error(result, text, 2, 88, "'entri' is not a name in scope; did you mean 'entry'?");
        Expect.ErrorCount(result, 5); // and the journey's "template 'hello' has errors"
    }

    [Fact]
    public void A_misspelt_root_in_an_email_steps_own_subject_is_reported_in_the_journey_file()
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
                  subject: "Hi {{ customer.firstName | upcsae }} from {{ jorney.name }}"
            """);
        _folder.SimpleTemplate("hello");

        var result = _folder.Load();

        Expect.Error(result, file, 9, 44, "the subject: 'upcsae' is not a Liquid filter; did you mean 'upcase'?");
        Expect.Error(result, file, 9, 62, "the subject: 'jorney' is not a name in scope; did you mean 'journey'?");
        Expect.ErrorCount(result, 2);
    }

    [Fact]
    public void Names_a_template_sets_itself_loop_names_and_comments_are_not_errors()
    {
        _folder.Journey("demo.yaml", OneEmail);
        _folder.Template("hello", """
            ---
            subject: "{{ customer.firstName | required }}, {{ journey.variant | default: 'hi' | upcase }}"
            from: "Shop <shop@example.com>"
            ---
            {% assign total = entry.properties.total | times: 1.1 | round: 2 %}
            {% capture greeting %}Hello {{ customer.firstName | default: "there" }}{% endcapture %}
            <p>{{ greeting }}: {{ total }}</p>
            {% for item in entry.properties.items %}<p>{{ forloop.index }}. {{ item.name | escape }}</p>{% endfor %}
            {% for score in (1..5) %}<a href="?s={{ score }}&send={{ send.key }}">{{ score }}</a>{% endfor %}
            {% if event.properties.orderId and customer.attributes.vip == true %}VIP{% endif %}
            {% comment %}{{ evnt.typo | defualt }}{% endcomment %}
            {% raw %}{{ evnt.typo | defualt }}{% endraw %}
            {{ entry.properties["gift-note"] | default: "" }} {{ "evnt | money" }}
            {% if entry.properties.items == empty or entry.properties.note == blank %}none{% endif %}
            """);

        var result = _folder.Load();

        Expect.NoDiagnostics(result);
    }

    [Fact]
    public void A_template_without_an_unsubscribe_link_is_a_warning_and_one_with_it_renders_the_placeholder()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: news
                name: News
                entry:
                  event: news.start
                steps:
                  - id: mail
                    email: { template: mail }
                  - id: other
                    email: { template: bare }
                """)
            .WithTemplate("mail", "Hello", """<a href="{{ unsubscribe_url }}">Unsubscribe</a>""")
            .WithTemplate("bare", "Hello", "<p>No way out</p>")
            .Load();

        var warning = Assert.Single(TemplateReview.MissingUnsubscribeLinks(h.Catalog.Latest.SelectMany(j => j.Templates.Values), h.TemplateFolder));
        Assert.Contains("bare.liquid:1:1: warning:", warning.ToString(), StringComparison.Ordinal);
        Assert.Contains("has no {{ unsubscribe_url }} link", warning.Message, StringComparison.Ordinal);
        h.Event("news.start", "2026-03-02T08:00:00Z");
        Assert.Contains($"""<a href="{UnsubscribeLink.Placeholder}">""", h.Sends[0].Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_root_the_check_allows_is_one_the_engine_provides()
    {
        // A condition that needs every condition root to be there, and a template that prints the roots it finds.
        var roots = string.Join(" and ", Core.Liquid.LiquidNames.ConditionRoots);
        var found = string.Concat(Core.Liquid.LiquidNames.TemplateRoots.Select(r => $"{{% if {r} %}}[{r}]{{% endif %}}"));
        using var h = new EngineHarness()
            .WithJourney($$"""
                id: news
                name: News
                entry:
                  event: news.start
                  when: "{{roots}}"
                steps:
                  - id: mail
                    email: { template: mail }
                """)
            .WithTemplate("mail", "Hello", found)
            .Load();

        h.Event("news.start", "2026-03-02T08:00:00Z");

        var email = Assert.Single(h.Sends);
        Assert.Equal("[event][entry][customer][journey][send][unsubscribe_url]", email.Html.Trim());
        Assert.Equal(["event", "entry", "customer", "journey"], Core.Liquid.LiquidNames.ConditionRoots);
        Assert.Equal("mail", h.Single(OutcomeKind.Sent).StepId);
    }
}
