using System.Text;
using Orchestrator.Core.Analysis;

namespace Orchestrator.Pages;

/// <summary><c>/customers/{id}</c>: one customer's events, outcomes and answers in time order, with the reason for each,
/// and why a journey did not start or send (<see cref="CustomerTraceBuilder"/>).</summary>
public static class CustomerPage
{
    public static string Write(CustomerTrace trace, PageMode mode)
    {
        var html = new StringBuilder(16 * 1024);
        html.Append("<section id=\"customer\"><h1>Customer ").Append(Html.E(trace.CustomerId)).Append("</h1>");
        foreach (var note in trace.Notes)
            html.Append("<p class=\"warning\">").Append(Html.E(note)).Append("</p>");
        Html.Table(html, "By journey", ["journey", "entered", "emails sent", "why not"],
            trace.Journeys.Select((j, i) => new[]
            {
                Html.TdRaw(mode.Served ? $"<a href=\"/journeys/{Uri.EscapeDataString(j.Journey)}\">{Html.E(j.Journey)}</a>" : Html.E(j.Journey)),
                Html.Count($"/journeys/{i}/entered", j.Entered), Html.Count($"/journeys/{i}/sent", j.Sent),
                Html.TdRaw(string.Join("<br>", j.Why.Select(Html.E))),
            }));
        Html.Table(html, "What happened, in time order", ["time (UTC)", "what", "journey", "step", ""],
            trace.Lines.Select((l, i) => new[]
            {
                Html.Td(CustomerTraceBuilder.Time(l.At)), Html.Td(l.Kind), Html.Td(l.Journey), Html.Td(l.Step),
                $"<td class=\"line-{Html.E(l.Kind)}\" data-json=\"/lines/{i}/text\" data-value=\"{Html.E(l.Text)}\">{Html.E(l.Text)}</td>",
            }), "trace");
        html.Append("</section>");
        return PageShell.Write(mode, "Customer " + trace.CustomerId, html.ToString());
    }
}
