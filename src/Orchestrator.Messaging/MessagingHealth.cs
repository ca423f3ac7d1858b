using MassTransit;
using Microsoft.Extensions.Options;

namespace Orchestrator.Messaging;

/// <summary>What the worker's <c>/health</c> says about event intake: whether every partition queue is being consumed.</summary>
public sealed record IntakeHealth(bool Healthy, string Description);

/// <summary>
/// The bus's own health, in the words an operator needs. A broker that refuses the topology (say, the consistent-hash
/// plugin is off) otherwise only shows as MassTransit retrying in the log while the worker looks fine.
/// </summary>
public sealed class MessagingHealth(IBusControl bus, PartitionShare share, IOptions<MessagingOptions> options)
{
    public IntakeHealth Check()
    {
        var result = bus.CheckHealth();
        if (result.Status == BusHealthStatus.Healthy)
        {
            // Which of them this worker is the active consumer of: with several workers each holds its share.
            var spread = options.Value.Partitions > 1 && options.Value.SingleActiveConsumer
                ? $", {share.Held} of them delivering to this worker (its share with {share.Workers} worker(s): {share.Share})"
                : "";
            return new IntakeHealth(true, $"consuming {options.Value.Partitions} partition(s) of '{options.Value.QueueName}'{spread}");
        }
        var faults = result.Endpoints.Values
            .Select(e => e.Exception?.GetBaseException().Message ?? e.Description)
            .OfType<string>()
            .Where(m => m.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        // Which partition's fault MassTransit holds at a given moment varies (the broker's refusal of the exchange type,
        // or the closed channel that follows it), so the likeliest cause of a partitioned setup is named outright.
        var hint = options.Value.Partitions > 1
            ? "Partitions > 1 needs the exchange type x-consistent-hash: if the broker lacks it, run 'rabbitmq-plugins enable rabbitmq_consistent_hash_exchange' on the broker. "
            : "";
        return new IntakeHealth(false, $"{hint}{result.Description ?? result.Status.ToString()}: {string.Join("; ", faults)}");
    }
}
