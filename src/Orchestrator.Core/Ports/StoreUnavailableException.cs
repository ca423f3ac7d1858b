namespace Orchestrator.Core.Ports;

/// <summary>
/// The database cannot be used right now (its file vanished, the disk is full, it is locked or unreachable): nothing of
/// the operation was recorded, and the same operation may succeed later. Ways in answer "try again" (HTTP 503, an AMQP
/// message left unacknowledged) instead of failing the event, which was never wrong.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }

    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message) : base(message)
    {
    }
}
