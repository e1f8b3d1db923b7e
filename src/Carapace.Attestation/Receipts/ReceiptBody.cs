using Carapace.Envelope.Format;
using Carapace.Protocol;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// What an enclave says about one invocation: which function (by name and measurement) ran which step of which
/// request, over exactly which sealed input, producing exactly which sealed output and log, how it ended and what it
/// used. A <see cref="ReceiptSigner"/> signs it; a <see cref="Receipt"/> is a verified one. Hashes are SHA-256 of the
/// sealed envelope bytes as they travelled, so anyone holding the envelopes can check them without any key.
/// </summary>
public record ReceiptBody
{
    /// <summary>The namespace whose policy released the function's keys.</summary>
    public required string Namespace { get; init; }

    /// <summary>The policy function name.</summary>
    public required string Function { get; init; }

    /// <summary>The enclave's measurement (32 bytes): the same value its evidence carries.</summary>
    public required ReadOnlyMemory<byte> Measurement { get; init; }

    /// <summary>The chain id from the input envelope's metadata.</summary>
    public required string Chain { get; init; }

    /// <summary>The chain step the enclave served: the input envelope's next step (1-based; 0 only for a refused input that claimed it).</summary>
    public required int Step { get; init; }

    /// <summary>The request id from the input envelope's metadata.</summary>
    public required RequestId RequestId { get; init; }

    /// <summary>SHA-256 of the sealed input envelope (32 bytes).</summary>
    public required ReadOnlyMemory<byte> InputSha256 { get; init; }

    /// <summary>SHA-256 of the sealed output envelope, or empty when there was no output.</summary>
    public ReadOnlyMemory<byte> OutputSha256 { get; init; }

    /// <summary>SHA-256 of the sealed log envelope, or empty when there was no log.</summary>
    public ReadOnlyMemory<byte> LogSha256 { get; init; }

    /// <summary>How the invocation ended.</summary>
    public required InvocationStatus Status { get; init; }

    /// <summary>The function's exit code (meaningful for <see cref="InvocationStatus.Completed"/>).</summary>
    public int ExitCode { get; init; }

    /// <summary>When the enclave took the invocation, by its own clock (microsecond precision on the wire).</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>When the enclave had sealed the output and log, by its own clock (microsecond precision on the wire).</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Wall-clock time of the function run, in microseconds.</summary>
    public long WallMicroseconds { get; init; }

    /// <summary>Fuel consumed (0 when fuel metering is off).</summary>
    public long Fuel { get; init; }

    /// <summary>Peak linear memory size in bytes.</summary>
    public long MemoryBytes { get; init; }
}
