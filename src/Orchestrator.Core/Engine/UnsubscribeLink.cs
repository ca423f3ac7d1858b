namespace Orchestrator.Core.Engine;

/// <summary>
/// <c>{{ unsubscribe_url }}</c> in a template. The engine renders this placeholder (it holds no secret and must stay
/// deterministic); the sender replaces it with the customer's signed one-click link, the same one the
/// <c>List-Unsubscribe</c> header carries. Preview and simulator show the placeholder. An address under the reserved
/// <c>.invalid</c> domain, so a placeholder that ever escaped would lead nowhere.
/// </summary>
public static class UnsubscribeLink
{
    public const string TemplateName = "unsubscribe_url";

    public const string Placeholder = "https://unsubscribe.orchestrator.invalid/";
}
