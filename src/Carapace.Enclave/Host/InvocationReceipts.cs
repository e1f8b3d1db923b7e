using System.Security.Cryptography;
using Carapace.Attestation.Receipts;
using Carapace.Envelope.Format;
using Carapace.Protocol;

namespace Carapace.Enclave.Host;

/// <summary>
/// The receipts of a function the KMS entitled: its namespace, policy function name and measurement, and the
/// enclave's receipt key. Each invocation gets one receipt over SHA-256 of the exact sealed input, output and log
/// bytes (hashed in place, no copies) and the chain position from the input envelope's metadata. Dispose to free the key.
/// </summary>
internal sealed class InvocationReceipts(string ns, string function, byte[] measurement, ReceiptSigner signer) : IDisposable
{
    /// <summary>The clock receipts are stamped with; the enclave's own.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Signs the receipt of one invocation of step <c>input.NextStep</c> of <c>input.ChainId</c>.</summary>
    public byte[] Issue(EnvelopeMetadata input, ReadOnlySpan<byte> sealedInput, ReadOnlySpan<byte> sealedOutput, ReadOnlySpan<byte> sealedLog,
        InvocationStatus status, int exitCode, DateTimeOffset start, ResourceUsage usage)
    {
        // One buffer for the three hashes; the empty ones stay empty slices.
        var hashes = new byte[3 * SHA256.HashSizeInBytes];
        SHA256.HashData(sealedInput, hashes.AsSpan(0, SHA256.HashSizeInBytes));
        var output = Hash(sealedOutput, hashes.AsMemory(SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
        var log = Hash(sealedLog, hashes.AsMemory(2 * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
        return signer.Sign(new ReceiptBody
        {
            Namespace = ns,
            Function = function,
            Measurement = measurement,
            Chain = input.ChainId,
            Step = Math.Max(0, input.NextStep),
            RequestId = input.RequestId,
            InputSha256 = hashes.AsMemory(0, SHA256.HashSizeInBytes),
            OutputSha256 = output,
            LogSha256 = log,
            Status = status,
            ExitCode = exitCode,
            Start = start,
            End = Clock.GetUtcNow(),
            WallMicroseconds = usage.WallMicroseconds,
            Fuel = usage.Fuel,
            MemoryBytes = usage.MemoryBytes,
        });
    }

    public void Dispose() => signer.Dispose();

    private static ReadOnlyMemory<byte> Hash(ReadOnlySpan<byte> sealedBytes, Memory<byte> destination)
    {
        if (sealedBytes.IsEmpty)
        {
            return default;
        }

        SHA256.HashData(sealedBytes, destination.Span);
        return destination;
    }
}
