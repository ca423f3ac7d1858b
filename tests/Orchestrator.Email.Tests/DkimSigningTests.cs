using System.Diagnostics;
using System.Security.Cryptography;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email.Tests;

/// <summary>
/// DKIM-signed mail as a receiver checks it: sent over real SMTP, the received bytes verified by dkimpy (another
/// implementation than MimeKit's, with the public key a DNS record would hold), and a changed header fails it.
/// </summary>
public sealed class DkimSigningTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orch-dkim").FullName;
    private readonly string _publicKey;
    private readonly string _keyFile;

    public DkimSigningTests()
    {
        using var rsa = RSA.Create(2048);
        _keyFile = Path.Combine(_folder, "dkim.pem");
        File.WriteAllText(_keyFile, rsa.ExportRSAPrivateKeyPem());
        _publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
    }

    public void Dispose() => Directory.Delete(_folder, true);

    private EmailOptions Signing(int port) => TestEmails.Options(port, o =>
    {
        o.DkimDomain = "example.com";
        o.DkimSelector = "mail2026";
        o.DkimPrivateKeyFile = _keyFile;
    });

    [Fact]
    public async Task Sent_mail_carries_a_signature_that_an_independent_verifier_accepts_and_a_changed_subject_fails()
    {
        await using var server = await SmtpTestServer.StartAsync();
        var options = Signing(server.Port);
        Assert.True(new EmailOptionsValidator().Validate(null, options).Succeeded);
        await using var sender = TestEmails.SmtpSender(options);

        Assert.Equal(SendResult.Ok, await sender.SendAsync(TestEmails.Create("k0100"), CancellationToken.None));

        var received = server.MessageFiles.Single();
        var signature = server.LoadMessage(0).Headers["DKIM-Signature"];
        Assert.Contains("d=example.com", signature, StringComparison.Ordinal);
        Assert.Contains("s=mail2026", signature, StringComparison.Ordinal);
        Assert.Contains("list-unsubscribe-post", signature, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("pass", await VerifyAsync(received));

        var tampered = Path.Combine(_folder, "tampered.eml");
        var text = await File.ReadAllTextAsync(received);
        await File.WriteAllTextAsync(tampered, text.Replace("Subject: You left something behind, Ada", "Subject: You won a prize, Ada", StringComparison.Ordinal));
        Assert.StartsWith("fail", await VerifyAsync(tampered), StringComparison.Ordinal);
    }

    [Fact]
    public void Half_a_DKIM_setting_or_a_key_that_is_not_one_is_refused_at_start()
    {
        var half = TestEmails.Options(25, o => o.DkimDomain = "example.com");
        Assert.Contains("DkimDomain, DkimSelector and DkimPrivateKeyFile go together", string.Join(" ", new EmailOptionsValidator().Validate(null, half).Failures ?? []), StringComparison.Ordinal);

        var notAKey = Path.Combine(_folder, "not-a-key.pem");
        File.WriteAllText(notAKey, "this is not a key");
        var broken = Signing(25);
        broken.DkimPrivateKeyFile = notAKey;
        Assert.Contains("is not a PEM private key", string.Join(" ", new EmailOptionsValidator().Validate(null, broken).Failures ?? []), StringComparison.Ordinal);

        var missing = Signing(25);
        missing.DkimPrivateKeyFile = Path.Combine(_folder, "nowhere.pem");
        Assert.Contains("does not exist", string.Join(" ", new EmailOptionsValidator().Validate(null, missing).Failures ?? []), StringComparison.Ordinal);
    }

    private async Task<string> VerifyAsync(string eml)
    {
        var script = Path.Combine(Path.GetDirectoryName(SmtpTestServer.ScriptPath)!, "dkim_verify.py");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { script, eml, "mail2026", "example.com", _publicKey })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(error.Length == 0 || !error.Contains("ModuleNotFoundError", StringComparison.Ordinal), "python3-dkim is missing: run scripts/services.sh start\n" + error);
        return output.Trim();
    }
}
