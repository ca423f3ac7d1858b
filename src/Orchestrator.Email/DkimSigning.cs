using MimeKit;
using MimeKit.Cryptography;

namespace Orchestrator.Email;

/// <summary>
/// DKIM-signs outgoing mail when <see cref="EmailOptions.DkimDomain"/> is set. The signature covers the headers a
/// receiver judges the mail by (From, To, Subject, Date, Message-ID) and the one-click unsubscribe headers, whose
/// integrity Gmail and Yahoo ask of bulk senders (RFC 8058 section 4).
/// </summary>
internal sealed class DkimSigning
{
    private static readonly HeaderId[] Signed = [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.ListUnsubscribe, HeaderId.MimeVersion, HeaderId.ContentType];
    private const string ListUnsubscribePost = "List-Unsubscribe-Post";

    private readonly DkimSigner _signer;

    private DkimSigning(DkimSigner signer) => _signer = signer;

    /// <summary>The signer for <paramref name="options"/>, or null when mail is not signed.</summary>
    public static DkimSigning? For(EmailOptions options) =>
        options.SignsDkim ? new DkimSigning(Signer(options)) : null;

    /// <summary>Why the key cannot sign, or null; for the options' validation at start.</summary>
    public static string? Problem(EmailOptions options)
    {
        if (!File.Exists(options.DkimPrivateKeyFile))
            return $"DkimPrivateKeyFile '{options.DkimPrivateKeyFile}' does not exist.";
        try
        {
            _ = Signer(options);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidCastException)
        {
            return $"DkimPrivateKeyFile '{options.DkimPrivateKeyFile}' is not a PEM private key MimeKit can sign with: {ex.Message}";
        }
    }

    private static DkimSigner Signer(EmailOptions options) => new(options.DkimPrivateKeyFile!, options.DkimDomain!, options.DkimSelector!, DkimSignatureAlgorithm.RsaSha256)
    {
        HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
    };

    /// <summary>Signs <paramref name="message"/>, which must be prepared for its transport already (the signature covers its bytes).</summary>
    public void Sign(MimeMessage message) =>
        _signer.Sign(message, [.. Signed.Select(h => h.ToHeaderName()), ListUnsubscribePost]);
}
