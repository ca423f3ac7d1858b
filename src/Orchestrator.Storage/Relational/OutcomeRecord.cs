using Orchestrator.Core.Engine;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// An outcome row's parameters, for the engine's outcomes (<see cref="SqlStatements.InsertOutcome"/>, in the decision's
/// revision and seq) and the outbox's (<see cref="SqlStatements.InsertSendOutcome"/>, which takes revision and seq from
/// the send's row and so leaves those two unused: Dapper passes only the parameters a statement names).
/// </summary>
internal static class OutcomeRecord
{
    public static object Parameters(StorageDialect dialect, Outcome outcome, string? sendKey, string? outcomeSendKey, long revision, int seq, TimeParameter recordedAt) => new
    {
        at = dialect.Time(outcome.At),
        journeyId = outcome.JourneyId,
        version = outcome.Version,
        stepId = outcome.StepId,
        variant = outcome.Variant,
        customerId = outcome.CustomerId,
        instanceId = outcome.InstanceId,
        kind = outcome.Kind,
        detailJson = StateJson.WriteDetail(outcome.Detail),
        sendKey,
        outcomeSendKey,
        revision,
        seq,
        recordedAt,
    };
}
