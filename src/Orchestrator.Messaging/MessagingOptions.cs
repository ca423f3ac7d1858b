using System.ComponentModel.DataAnnotations;

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

    /// <summary>
    /// The exchange publishers send to, and the stem of the queues behind it. Default <c>orchestrator-events</c>. With one
    /// partition it is a fanout exchange bound to the queue of the same name; with more it is a consistent-hash exchange
    /// (RabbitMQ's <c>rabbitmq_consistent_hash_exchange</c> plugin) over the queues <c>&lt;name&gt;.0</c> … <c>&lt;name&gt;.N-1</c>.
    /// Unprocessable messages of every partition go to <c>&lt;name&gt;_error</c> with the reason in their headers.
    /// </summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]+$")]
    public string QueueName { get; set; } = "orchestrator-events";

    /// <summary>
    /// Queues the events are spread over by the hash of the message's routing key, which publishers set to the
    /// <c>customerId</c>. Each partition decides one event at a time, in the order RabbitMQ delivers them, so a customer's
    /// events are decided in publish order while customers of different partitions are decided in parallel. Default 1
    /// (one queue, no plugin needed); production uses about twice the cores of a worker, e.g. 8. More than 1 needs the
    /// consistent-hash plugin (<c>rabbitmq-plugins enable rabbitmq_consistent_hash_exchange</c>). Changing it changes the
    /// exchange's type: delete the exchange, or use a new <see cref="QueueName"/>.
    /// </summary>
    [Range(1, 64)]
    public int Partitions { get; set; } = 1;

    /// <summary>Declare the queues as quorum queues (replicated; needs a RabbitMQ cluster to be useful). Default false.
    /// An existing queue keeps the type it was declared with.</summary>
    public bool QuorumQueue { get; set; }

    /// <summary>
    /// Default true: RabbitMQ's single active consumer on every partition queue. With several workers one consumes a
    /// partition at a time, each worker its share of them (<see cref="SpreadPartitions"/>), and another takes over within
    /// seconds when it stops, so every customer's events are decided in publish order, also across workers (a worker that
    /// is stopped hands its partitions over first: <see cref="PartitionHandover"/>). All workers fire timers and
    /// send email either way. False lets every worker consume every partition at once: more event throughput, but two
    /// events of one customer published moments apart may then be decided out of order by two workers.
    /// An existing queue keeps the arguments it was declared with: delete it, or use a new <see cref="QueueName"/>.
    /// </summary>
    public bool SingleActiveConsumer { get; set; } = true;

    /// <summary>
    /// Default true (with <see cref="SingleActiveConsumer"/> and more than one partition): the partitions are spread over
    /// the workers, each consuming at most <c>ceil(Partitions / workers)</c> of them and standing by for the rest
    /// (<see cref="PartitionShare"/>); a worker that joins takes its share within seconds, handed over in publish order.
    /// False: the worker started first consumes every partition and the others only stand by.
    /// </summary>
    public bool SpreadPartitions { get; set; } = true;

    /// <summary>Messages RabbitMQ delivers ahead per partition. Default 16.</summary>
    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>The queue of partition <paramref name="index"/>.</summary>
    public string PartitionQueue(int index) => Partitions == 1 ? QueueName : $"{QueueName}.{index}";

    /// <summary>Where unprocessable messages of every partition go.</summary>
    public string ErrorQueue => QueueName + "_error";
}
