using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Core.Engine;

/// <summary>The engine's deterministic ids: send keys, instance ids and split points, the same in every process.</summary>
internal static class SendKeys
{
    internal static string Hash(string text, int length)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash)[..length];
    }

    /// <summary>
    /// FNV-1a, stable across processes and .NET versions (unlike string.GetHashCode), then the SplitMix64 finalizer:
    /// FNV's low bits depend only on the input's low bits, so without mixing two 50/50 splits in different journeys
    /// would put every customer in matching arms, and two experiments would really be one.
    /// </summary>
    internal static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebUL;
        hash ^= hash >> 31;
        return hash;
    }

    /// <summary>Deterministic per (journey version, instance, step, occurrence): the outcome's key and the Message-ID.</summary>
    internal static string SendKey(JourneyInstance instance, string stepId, int occurrence) =>
        Hash($"{instance.Version}|{instance.Id}|{stepId}|{occurrence.ToString(CultureInfo.InvariantCulture)}", 32);
}
