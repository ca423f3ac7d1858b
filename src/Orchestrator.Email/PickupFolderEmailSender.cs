using Microsoft.Extensions.Options;
using MimeKit;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email;

/// <summary>
/// The embedded default when no SMTP host is configured: each email becomes <c>{SendKey}.eml</c> in
/// <see cref="EmailOptions.PickupFolder"/>, byte for byte the MIME message SMTP would carry (with CRLF line ends).
/// </summary>
/// <remarks>
/// Files appear atomically (written under a temporary name, then renamed), so a tool watching the folder never
/// reads half a message. Writing the same send key again replaces the file: one key, one email.
/// </remarks>
public sealed class PickupFolderEmailSender : IEmailSender
{
    private const string Extension = ".eml";

    private static readonly FormatOptions WireFormat = CreateWireFormat();

    private readonly EmailMessageFactory _messages;

    public PickupFolderEmailSender(IOptions<EmailOptions> options, TimeProvider time)
    {
        Folder = Path.GetFullPath(options.Value.PickupFolder);
        _messages = new EmailMessageFactory(options.Value, time);
    }

    /// <summary>The absolute folder the <c>.eml</c> files go to.</summary>
    public string Folder { get; }

    public async Task<SendResult> SendAsync(EmailToSend email, CancellationToken cancellationToken)
    {
        if (email.SendKey.Length == 0 || email.SendKey.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || email.SendKey.StartsWith('.'))
            return new SendResult(SendStatus.PermanentFailure, $"send key '{email.SendKey}' cannot be a file name");

        MimeMessage message;
        try
        {
            message = _messages.Create(email);
        }
        catch (Exception ex) when (ex is ParseException or ArgumentException)
        {
            return new SendResult(SendStatus.PermanentFailure, $"invalid address: {ex.Message}");
        }

        // The leading dot and the extension keep pickup tools (which look for *.eml) away from unfinished files.
        var temporary = Path.Combine(Folder, $".{email.SendKey}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(Folder);
            var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await message.WriteToAsync(WireFormat, file, cancellationToken).ConfigureAwait(false);
                // On disk before the rename, so a crash cannot leave a complete name on incomplete content.
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, Path.Combine(Folder, email.SendKey + Extension), overwrite: true);
            return SendResult.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            return new SendResult(SendStatus.TransientFailure, $"cannot write to {Folder}: {ex.Message}");
        }
        catch (OperationCanceledException)
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static FormatOptions CreateWireFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leftover temporary files are ignored by readers and harmless.
        }
    }
}
