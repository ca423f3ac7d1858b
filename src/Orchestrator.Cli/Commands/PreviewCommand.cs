using System.CommandLine;
using System.Text.Json;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;

namespace Orchestrator.Cli.Commands;

internal static class PreviewCommand
{
    public static Command Create()
    {
        var journey = new Argument<string>("journey") { Description = "Journey id or file" };
        var step = new Argument<string>("step") { Description = "Id of an email step" };
        var customer = new Option<string>("--customer", "-c")
        {
            Description = "The customer profile as JSON, e.g. '{\"email\":\"ann@example.com\",\"firstName\":\"Ann\",\"attributes\":{\"vip\":true}}', or @file.json",
            DefaultValueFactory = _ => "{}",
        };
        var entry = new Option<string?>("--entry") { Description = "The entering event as JSON (or @file.json); default: an event of the entry type without properties" };
        var journeys = CliSupport.JourneysOption();
        var command = new Command("preview", "Render an email step for a customer: subject, from, HTML and text") { journey, step, customer, entry, journeys };
        command.SetAction(parse => Run(parse.GetValue(journeys)!, parse.GetValue(journey)!, parse.GetValue(step)!, parse.GetValue(customer)!, parse.GetValue(entry), Console.Out, Console.Error));
        return command;
    }

    public static int Run(string folder, string journeyId, string stepId, string customerJson, string? entryJson, TextWriter output, TextWriter errors)
    {
        var journey = CliSupport.FindJourney(folder, journeyId, errors, out var exitCode);
        if (journey is null)
            return exitCode;
        if (journey.FindStep(stepId) is not EmailStep step)
        {
            var emails = journey.Steps.OfType<EmailStep>().Select(s => s.Id);
            errors.WriteLine($"step '{stepId}' of journey '{journey.Id}' is not an email step; email steps: {string.Join(", ", emails)}");
            return CliSupport.Failed;
        }
        CustomerProfile profile;
        CustomerEvent entry;
        try
        {
            profile = ReadProfile(ReadJson(customerJson));
            entry = entryJson is null
                ? new CustomerEvent { EventId = "preview", CustomerId = profile.Id, Type = journey.Entry.Event, OccurredAt = DateTimeOffset.UtcNow }
                : ReadEntry(ReadJson(entryJson), profile.Id);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
        {
            errors.WriteLine(ex.Message);
            return CliSupport.Failed;
        }
        var email = JourneyEngine.Preview(journey, step, profile, entry);
        output.WriteLine($"To:      {profile.Email ?? "(no address: this send would be skipped, no-address)"}");
        output.WriteLine($"From:    {email.From ?? CliSupport.LoadSending(null).DefaultFrom}");
        output.WriteLine($"Subject: {email.Subject}");
        if (email.Preheader is not null)
            output.WriteLine($"Preheader: {email.Preheader}");
        if (email.MissingRequired.Count > 0)
            output.WriteLine($"Skipped: this send would be skipped (missing-data:{string.Join(", missing-data:", email.MissingRequired)})");
        output.WriteLine();
        output.WriteLine("--- HTML ---");
        output.WriteLine(email.Html.TrimEnd());
        output.WriteLine("--- text ---");
        output.WriteLine(email.Text?.TrimEnd() ?? "(no text part: add templates/" + step.Template + ".txt.liquid)");
        return email.MissingRequired.Count > 0 ? CliSupport.Failed : CliSupport.Ok;
    }

    private static string ReadJson(string value) => value.StartsWith('@') ? File.ReadAllText(value[1..]) : value;

    private static CustomerProfile ReadProfile(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("--customer must be a JSON object");
        var update = JsonSerializer.Deserialize<CustomerProfileUpdate>(document.RootElement, EventJson.Options);
        var id = document.RootElement.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : "preview-customer";
        return ProfileMerge.Apply(new CustomerProfile { Id = id }, update);
    }

    private static CustomerEvent ReadEntry(string json, string customerId)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        // Accept a whole event, or only its properties.
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out _) && EventJson.TryRead(root, out var evt, out _))
            return evt!;
        return new CustomerEvent { EventId = "preview", CustomerId = customerId, Type = "preview", OccurredAt = DateTimeOffset.UtcNow, Properties = root.Clone() };
    }
}
