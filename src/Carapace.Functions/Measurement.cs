using System.Security.Cryptography;
using System.Text;

namespace Carapace.Functions;

/// <summary>
/// The measurement of a function: SHA-256("carapace measurement v1" ‖ runtime identity ‖ SHA-256(module) ‖
/// SHA-256(canonical manifest)). It identifies exactly which runtime ran which code with which limits,
/// capabilities and file-system image; attestation evidence carries it and policies accept or refuse it.
/// </summary>
public static class Measurement
{
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace measurement v1");

    /// <summary>Computes a measurement.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> runtimeIdentity, ReadOnlySpan<byte> moduleHash, ReadOnlySpan<byte> manifest)
    {
        if (runtimeIdentity.Length != 32 || moduleHash.Length != 32)
        {
            throw new ArgumentException("the runtime identity and the module hash are SHA-256 values (32 bytes)");
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(s_label);
        sha.AppendData(runtimeIdentity);
        sha.AppendData(moduleHash);
        sha.AppendData(SHA256.HashData(manifest));
        return sha.GetHashAndReset();
    }
}
