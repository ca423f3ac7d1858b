using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// Runs journeys through the engine the way the worker does, without a store: journey files and templates go to a
/// temporary folder and are loaded with the real loader, events are given as JSON (the wire format), and time is a
/// <see cref="FakeTimeProvider"/> that fires every wakeup at its due time. Every outcome is collected in order,
/// with each <c>sent</c> placed where the engine decided it (as the simulator prints them).
/// </summary>
internal sealed partial class EngineHarness : IDisposable
{
    /// <summary>A Monday, 08:00 UTC.</summary>
    public static readonly DateTimeOffset DefaultStart = At("2026-03-02T08:00:00Z");

    private readonly string _folder;
    private readonly Dictionary<string, CustomerState> _customers = new(StringComparer.Ordinal);
    private int _eventNumber;

    public EngineHarness(SendingOptions? sending = null, DateTimeOffset? start = null)
    {
        _folder = Path.Combine(Path.GetTempPath(), "orchestrator-engine-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_folder, "templates"));
        Time = new FakeTimeProvider(start ?? DefaultStart);
        Sending = sending ?? new SendingOptions();
        Engine = new JourneyEngine(Sending, Time);
    }

    public FakeTimeProvider Time { get; }

    public SendingOptions Sending { get; }

    public JourneyEngine Engine { get; }

    public JourneyCatalog Catalog { get; private set; } = new([]);

    /// <summary>Every outcome in decision order, <c>sent</c> included.</summary>
    public List<Outcome> Outcomes { get; } = [];

    public List<EmailToSend> Sends { get; } = [];

    public List<Decision> Decisions { get; } = [];

    public static DateTimeOffset At(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Writes (or overwrites) a journey file, named after its id.</summary>
    public EngineHarness WithJourney(string yaml)
    {
        var id = JourneyId().Match(yaml) is { Success: true } m ? m.Groups[1].Value : "journey";
        File.WriteAllText(Path.Combine(_folder, id + ".yaml"), yaml);
        return this;
    }

    /// <summary>Writes a template file as it is: <paramref name="content"/> is front matter and body.</summary>
    public EngineHarness WithTemplateFile(string fileName, string content)
    {
        File.WriteAllText(Path.Combine(_folder, "templates", fileName), content);
        return this;
    }

    /// <summary>Writes <c>templates/&lt;name&gt;.liquid</c> with a subject and a body (and the text part, if given).</summary>
    public EngineHarness WithTemplate(string name, string subject, string html = "<p>Hello</p>", string? text = null)
    {
        var content = new StringBuilder()
            .Append("---\n")
            .Append("subject: ").Append(JsonSerializer.Serialize(subject)).Append('\n')
            .Append("---\n")
            .Append(html).Append('\n')
            .ToString();
        WithTemplateFile(name + ".liquid", content);
        if (text is not null)
            WithTemplateFile(name + ".txt.liquid", text);
        return this;
    }

    /// <summary>Loads the folder with the real loader; any error fails the test with the loader's messages.</summary>
    public EngineHarness Load()
    {
        Catalog = new JourneyCatalog(LoadAll());
        return this;
    }

    /// <summary>Loads the folder again and makes it the latest versions, keeping earlier ones (as a deploy does).</summary>
    public EngineHarness Reload()
    {
        Catalog = Catalog.WithLatest(LoadAll());
        return this;
    }

    /// <summary>Decides from now on with <paramref name="catalog"/>, as a worker that loaded just these versions.</summary>
    public EngineHarness Use(JourneyCatalog catalog)
    {
        Catalog = catalog;
        return this;
    }

    /// <summary>One wakeup of the customer at the clock's time, as the worker's scheduler runs it.</summary>
    public Decision Due(string customerId = "c-1")
    {
        var decision = Engine.HandleDue(Catalog, State(customerId)!);
        Apply(customerId, decision);
        return decision;
    }

    /// <summary>Where the harness writes its templates.</summary>
    public string TemplateFolder => Path.Combine(_folder, "templates");

    private IReadOnlyList<JourneyDefinition> LoadAll()
    {
        var result = JourneyLoader.LoadFolder(_folder);
        if (result.HasErrors)
            throw new InvalidOperationException("the test's journeys do not load:\n" + string.Join('\n', result.Errors.Select(e => e.ToString())));
        return result.Journeys;
    }

    public JourneyDefinition Journey(string id) => Catalog.LatestOf(id) ?? throw new InvalidOperationException($"no journey '{id}'");

    public CustomerState? State(string customerId = "c-1") => _customers.GetValueOrDefault(customerId);

    public IReadOnlyList<JourneyInstance> Instances(string customerId = "c-1") => State(customerId)?.Instances ?? [];

    public JourneyInstance Instance(string customerId = "c-1") => Assert.Single(Instances(customerId));

    /// <summary>
    /// Decides one event given in the wire format. The clock moves to its <c>occurredAt</c> when that is later, but no
    /// wakeup is fired first: the engine itself must handle the timers due before the event.
    /// </summary>
    public Decision Send(string json)
    {
        if (!EventJson.TryParse(json, out var evt, out var error))
            throw new ArgumentException($"bad test event: {error}", nameof(json));
        return Send(evt!);
    }

    public Decision Send(CustomerEvent evt)
    {
        if (evt.OccurredAt > Time.GetUtcNow())
            Time.SetUtcNow(evt.OccurredAt);
        var decision = Engine.HandleEvent(Catalog, State(evt.CustomerId), evt);
        Apply(evt.CustomerId, decision);
        return decision;
    }

    /// <summary>
    /// Builds an event's JSON and decides it. <paramref name="properties"/> and <paramref name="customer"/> are JSON
    /// objects; by default the customer is Ann with a valid address.
    /// </summary>
    public Decision Event(string type, DateTimeOffset at, string? properties = null, string? customer = DefaultCustomer, string customerId = "c-1", string? eventId = null) =>
        Send(EventText(type, at, properties, customer, customerId, eventId ?? NextEventId()));

    public Decision Event(string type, string at, string? properties = null, string? customer = DefaultCustomer, string customerId = "c-1", string? eventId = null) =>
        Event(type, At(at), properties, customer, customerId, eventId);

    public const string DefaultCustomer = """{"email":"ann@example.com","firstName":"Ann"}""";

    public string NextEventId() => "e-" + (++_eventNumber).ToString(CultureInfo.InvariantCulture);

    public static string EventText(string type, DateTimeOffset at, string? properties = null, string? customer = DefaultCustomer, string customerId = "c-1", string eventId = "e-1")
    {
        var json = new StringBuilder("{")
            .Append("\"eventId\":").Append(JsonSerializer.Serialize(eventId))
            .Append(",\"customerId\":").Append(JsonSerializer.Serialize(customerId))
            .Append(",\"type\":").Append(JsonSerializer.Serialize(type))
            .Append(",\"occurredAt\":").Append(JsonSerializer.Serialize(Iso.Format(at)));
        if (properties is not null)
            json.Append(",\"properties\":").Append(properties);
        if (customer is not null)
            json.Append(",\"customer\":").Append(customer);
        return json.Append('}').ToString();
    }

    /// <summary>Moves the clock to <paramref name="until"/>, firing every wakeup at its due time on the way.</summary>
    public void AdvanceTo(DateTimeOffset until)
    {
        while (true)
        {
            var next = _customers.Values
                .Where(c => c.NextWakeup is { } w && w <= until)
                .OrderBy(c => c.NextWakeup).ThenBy(c => c.CustomerId, StringComparer.Ordinal)
                .FirstOrDefault();
            if (next is null)
                break;
            if (next.NextWakeup!.Value > Time.GetUtcNow())
                Time.SetUtcNow(next.NextWakeup.Value);
            Apply(next.CustomerId, Engine.HandleDue(Catalog, next));
        }
        if (until > Time.GetUtcNow())
            Time.SetUtcNow(until);
    }

    public void AdvanceTo(string iso) => AdvanceTo(At(iso));

    public void Advance(TimeSpan by) => AdvanceTo(Time.GetUtcNow() + by);

    private void Apply(string customerId, Decision decision)
    {
        Decisions.Add(decision);
        _customers[customerId] = decision.State;
        foreach (var (outcome, send) in decision.InRecordingOrder())
        {
            Outcomes.Add(outcome ?? send!.SentOutcome());
            if (send is not null)
                Sends.Add(send);
        }
        Assert.Equal(decision.Sends.Count, InOrderAndInRange(decision));
    }

    public IEnumerable<Outcome> OutcomesOf(string kind, string? customerId = null) =>
        Outcomes.Where(o => o.Kind == kind && (customerId is null || o.CustomerId == customerId));

    public Outcome Single(string kind, string? customerId = null) => Assert.Single(OutcomesOf(kind, customerId));

    /// <summary>The trace as <c>step:kind</c> (or just <c>kind</c> for instance-level outcomes), for compact assertions.</summary>
    public List<string> Trace(string? customerId = null, string? journeyId = null) =>
        Outcomes.Where(o => (customerId is null || o.CustomerId == customerId) && (journeyId is null || o.JourneyId == journeyId))
            .Select(o => o.StepId is null ? o.Kind : $"{o.StepId}:{o.Kind}")
            .ToList();

    public static string? Detail(Outcome outcome, string key) =>
        outcome.Detail is not null && outcome.Detail.TryGetValue(key, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [GeneratedRegex(@"^id:\s*([a-z0-9-]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex JourneyId();

    /// <summary>How many of the decision's sends have, in turn, an index in order and within its outcomes: all, for what the engine decides.</summary>
    private static int InOrderAndInRange(Decision decision)
    {
        var sendIndex = 0;
        for (var i = 0; i <= decision.Outcomes.Count; i++)
        {
            while (sendIndex < decision.Sends.Count && decision.Sends[sendIndex].OutcomeIndex == i)
                sendIndex++;
        }
        return sendIndex;
    }
}
