namespace Orchestrator.Core.Engine;

// The reasons outcomes carry (their "reason" detail and the instances' end_reason column). They are stored and read by
// analysis, so a value here is part of the format: change a name freely, never a string. Deferral reasons are
// SendRules.SendWindowReason and SendRules.FrequencyCapReason; suppression reasons are AddressSuppression.Bounced and
// AddressSuppression.UnsubscribedReason; an exit by an exit event has the event's type as its reason.

/// <summary>Why an instance ended (<c>completed</c> or <c>exited</c>).</summary>
public static class EndReason
{
    /// <summary>Completed: the last step was done and there was no next one.</summary>
    public const string EndOfSteps = "end-of-steps";

    /// <summary>Completed: an <c>exit</c> step was reached.</summary>
    public const string ExitStep = "exit-step";

    /// <summary>Exited: the goal was reached and the goal says <c>exit: true</c>.</summary>
    public const string Goal = "goal";

    /// <summary>Exited: more steps in one decision than any journey without a loop needs.</summary>
    public const string LoopGuard = "loop-guard";

    /// <summary>Exited: the instance's step is not in its (migrated) version, or changed kind.</summary>
    public const string VersionRemoved = "version-removed";
}

/// <summary>Why an email step was <c>skipped</c>.</summary>
public static class SkipReason
{
    /// <summary>The profile has no valid email address.</summary>
    public const string NoAddress = "no-address";

    /// <summary>The template threw while rendering.</summary>
    public const string RenderError = "render-error";

    /// <summary>Followed by the first required name the customer's data does not have: <c>missing-data:first_name</c>.</summary>
    public const string MissingDataPrefix = "missing-data:";

    public static string MissingData(string name) => MissingDataPrefix + name;
}
