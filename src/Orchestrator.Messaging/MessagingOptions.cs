using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Orchestrator.Messaging;

public enum MessagingTransport
{
    /// <summary>No broker: events come in over HTTP <c>POST /events</c> only (the embedded default).</summary>
    None,

    /// <summary>RabbitMQ: publishers send JSON to the <see cref="MessagingOptions.QueueName"/> exchange.</summary>
    RabbitMq,
}

/// <summary>Event intake over AMQP (section <c>Orchestrator:Messaging</c>).</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Orchestrator:Messaging";

    /// <summary>Default <see cref="MessagingTransport.None"/>: a fresh machine needs no broker.</summary>
    public MessagingTransport Transport { get; set; } = MessagingTransport.None;

    /// <summary>RabbitMQ host. Default <c>localhost</c>.</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>Default 5672.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    /// <summary>Default <c>/</c>.</summary>
    [Required]
    public string VirtualHost { get; set; } = "/";

    /// <summary>Default <c>guest</c> (RabbitMQ allows it on localhost only).</summary>
    [Required]
    public string Username { get; set; } = "guest";

    /// <summary>Default <c>guest</c>.</summary>
    [Required]
    public string Password { get; set; } = "guest";

    /// <summary>The queue, and the fanout exchange of the same name that publishers send to. Default <c>orchestrator-events</c>.
    /// Unprocessable messages go to <c>&lt;name&gt;_error</c> with the reason in their headers.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]+$")]
    public string QueueName { get; set; } = "orchestrator-events";

    /// <summary>Declare the queue as a quorum queue (replicated; needs a RabbitMQ cluster to be useful). Default false.
    /// An existing queue keeps the type it was declared with.</summary>
    public bool QuorumQueue { get; set; }

    /// <summary>
    /// Default true: RabbitMQ's single active consumer. With several workers one consumes the queue at a time and
    /// another takes over within seconds when it stops, so every customer's events are decided in the order they were
    /// published, also across workers (within a worker, <see cref="ConcurrentMessageLimit"/> events of different customers
    /// run at once). The other workers still fire timers and send email. False lets every worker consume at once: more
    /// event throughput, but two events of one customer published moments apart may then be decided out of order.
    /// An existing queue keeps the arguments it was declared with: delete it, or use a new
    /// <see cref="QueueName"/>, to change this or <see cref="QuorumQueue"/>.
    /// </summary>
    public bool SingleActiveConsumer { get; set; } = true;

    /// <summary>Events handled at once per worker. Default 16.</summary>
    [Range(1, 1024)]
    public int ConcurrentMessageLimit { get; set; } = 16;

    /// <summary>Messages RabbitMQ delivers ahead. Default 32.</summary>
    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 32;
}

internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var failures = new List<string>();
        if (options.PrefetchCount < options.ConcurrentMessageLimit)
            failures.Add($"{MessagingOptions.SectionName}:PrefetchCount ({options.PrefetchCount}) must be at least ConcurrentMessageLimit ({options.ConcurrentMessageLimit}), or workers sit idle");
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
