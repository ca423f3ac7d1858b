using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Core.Ports;

/// <summary>
/// The signed token in every email's unsubscribe link (List-Unsubscribe, RFC 8058): the worker's unsubscribe
/// endpoint accepts a customer id only with its token, so links cannot be forged for other customers.
/// </summary>
public static class UnsubscribeToken
{
    public static string Create(string customerId, string secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(customerId)))[..32];

    public static bool IsValid(string customerId, string token, string secret) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Create(customerId, secret)), Encoding.ASCII.GetBytes(token ?? ""));
}
