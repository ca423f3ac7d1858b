using System.Collections.Concurrent;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email;

/// <summary>
/// Delivers over SMTP with MailKit, on up to <see cref="EmailOptions.PoolSize"/> connections that are opened on first
/// use and kept for the next messages (a new TCP + TLS + AUTH handshake per email would cost more than the email).
/// </summary>
public sealed partial class SmtpEmailSender : IEmailSender, IAsyncDisposable, IDisposable
{
    // A connection idle this long is checked with NOOP before reuse: servers drop idle clients (RFC 5321 suggests
    // after 5 minutes, some much sooner), and finding that out in the middle of MAIL FROM would cost the attempt.
    private static readonly TimeSpan CheckIdleAfter = TimeSpan.FromSeconds(5);

    private readonly EmailOptions _options;
    private readonly string _host;
    private readonly EmailMessageFactory _messages;
    private readonly TimeProvider _time;
    private readonly ILogger<SmtpEmailSender> _logger;
    private readonly SemaphoreSlim _slots;
    // Last returned is reused first, so under light load the same few connections stay warm.
    private readonly ConcurrentStack<PooledConnection> _idle = new();
    private bool _disposed;

    public SmtpEmailSender(IOptions<EmailOptions> options, TimeProvider time, ILogger<SmtpEmailSender> logger)
    {
        _options = options.Value;
        if (!_options.UsesSmtp)
            throw new ArgumentException("SmtpEmailSender needs an SMTP Host; without one use PickupFolderEmailSender.", nameof(options));
        _host = _options.Host!;
        _messages = new EmailMessageFactory(_options, time);
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.PoolSize, _options.PoolSize);
    }

    public async Task<SendResult> SendAsync(EmailToSend email, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MimeMessage message;
        try
        {
            message = _messages.Create(email);
        }
        catch (Exception ex) when (ex is ParseException or ArgumentException)
        {
            return new SendResult(SendStatus.PermanentFailure, $"invalid address: {ex.Message}");
        }

        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        PooledConnection? connection = null;
        var reusable = false;
        try
        {
            connection = await RentAsync(cancellationToken).ConfigureAwait(false);
            await connection.Client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            reusable = true;
            return SendResult.Ok;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // A refused command leaves the session usable (MailKit resets it); anything else may have broken it.
            reusable = ex is SmtpCommandException;
            if (!IsDeliveryError(ex))
                LogUnexpected(ex, email.SendKey);
            return Classify(ex);
        }
        finally
        {
            Return(connection, reusable);
            _slots.Release();
        }
    }

    /// <summary>Maps what MailKit threw to the outbox's vocabulary; the reason is what the server said when it said something.</summary>
    internal static SendResult Classify(Exception ex) => ex switch
    {
        // A 5xx to RCPT TO is "no such mailbox" (550 5.1.1 user unknown and kin): that address will never take mail.
        SmtpCommandException { ErrorCode: SmtpErrorCode.RecipientNotAccepted } command when (int)command.StatusCode >= 500 =>
            new SendResult(SendStatus.PermanentFailure, $"{(int)command.StatusCode} {command.Message}", MailboxUnknown: true),
        SmtpCommandException command when (int)command.StatusCode >= 500 =>
            new SendResult(SendStatus.PermanentFailure, $"{(int)command.StatusCode} {command.Message}"),
        SmtpCommandException command =>
            new SendResult(SendStatus.TransientFailure, $"{(int)command.StatusCode} {command.Message}"),
        ParseException => new SendResult(SendStatus.PermanentFailure, $"invalid address: {ex.Message}"),
        TimeoutException or OperationCanceledException => new SendResult(SendStatus.TransientFailure, $"timeout: {ex.Message}"),
        SocketException socket => new SendResult(SendStatus.TransientFailure, $"connection failed: {socket.SocketErrorCode}: {socket.Message}"),
        IOException { InnerException: SocketException socket } => new SendResult(SendStatus.TransientFailure, $"connection failed: {socket.SocketErrorCode}: {socket.Message}"),
        // Bad credentials or certificates are configuration errors, not the email's: retried until someone fixes them.
        // Unknown errors too: retrying is bounded by MaxAttempts, and losing an email to a bug would be worse.
        _ => new SendResult(SendStatus.TransientFailure, $"{ex.GetType().Name}: {ex.Message}"),
    };

    private static bool IsDeliveryError(Exception ex) =>
        ex is SmtpCommandException or SmtpProtocolException or IOException or SocketException or TimeoutException or OperationCanceledException
            or MailKit.Security.AuthenticationException or SslHandshakeException or ServiceNotConnectedException or ServiceNotAuthenticatedException
            // MailKit's answer when StartTls is required and the server does not offer it.
            or NotSupportedException;

    private async Task<PooledConnection> RentAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryPop(out var pooled))
        {
            if (pooled.Client.IsConnected && _time.GetElapsedTime(pooled.ReturnedAt) >= CheckIdleAfter)
            {
                try
                {
                    await pooled.Client.NoOpAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or ServiceNotConnectedException)
                {
                    LogStaleConnection(ex.Message);
                    await CloseAsync(pooled).ConfigureAwait(false);
                    continue;
                }
            }
            if (pooled.Client.IsConnected)
                return pooled;
            await CloseAsync(pooled).ConfigureAwait(false);
        }
        return await ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<PooledConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(_host, _options.Port, SocketOptions(_options.Security), cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(_options.Username))
                await client.AuthenticateAsync(_options.Username, _options.Password ?? "", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        LogConnected(_host, _options.Port);
        return new PooledConnection(client);
    }

    private void Return(PooledConnection? connection, bool reusable)
    {
        if (connection is null)
            return;
        if (reusable && connection.Client.IsConnected && !_disposed)
        {
            connection.ReturnedAt = _time.GetTimestamp();
            _idle.Push(connection);
        }
        else
        {
            connection.Client.Dispose();
        }
    }

    private static SecureSocketOptions SocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };

    private static async Task CloseAsync(PooledConnection connection)
    {
        try
        {
            if (connection.Client.IsConnected)
                await connection.Client.DisconnectAsync(quit: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException or OperationCanceledException)
        {
            // Closing a connection that is already gone: nothing to do.
        }
        connection.Client.Dispose();
    }

    // The semaphore is not disposed: a send still in flight releases it after disposal, and without its
    // AvailableWaitHandle a SemaphoreSlim holds nothing to free.
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        while (_idle.TryPop(out var connection))
            await CloseAsync(connection).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryPop(out var connection))
            connection.Client.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SMTP connection to {Host}:{Port} opened")]
    private partial void LogConnected(string host, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pooled SMTP connection was dead ({Reason}); reconnecting")]
    private partial void LogStaleConnection(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error sending {SendKey}; treated as transient")]
    private partial void LogUnexpected(Exception exception, string sendKey);

    private sealed class PooledConnection(SmtpClient client)
    {
        public SmtpClient Client { get; } = client;
        public long ReturnedAt { get; set; }
    }
}
