using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>
/// Enclave → host: the outcome of one invocation. The output and the function's log are envelopes sealed inside
/// the enclave (output for the outgoing edge, log for the client); status, exit code, message and resource use
/// are plaintext metadata, and the message never contains function data.
/// </summary>
/// <param name="InvocationId">The id from the invoke message.</param>
/// <param name="Status">How it ended.</param>
/// <param name="ExitCode">The function's exit code (meaningful for <see cref="InvocationStatus.Completed"/>).</param>
/// <param name="Message">A short human-readable description, e.g. "timeout after 2.0 s"; never contains data.</param>
/// <param name="Output">The sealed output envelope (empty when none was produced).</param>
/// <param name="Log">The sealed stderr envelope (empty when none was produced).</param>
/// <param name="Usage">Resources used.</param>
/// <param name="Receipt">
/// The enclave's signed receipt for the invocation (Carapace.Attestation.Receipts): who ran which step over which
/// sealed bytes, with the evidence binding the signing key. Empty when the enclave was provisioned directly rather
/// than by the KMS, or when the input's header did not parse.
/// </param>
/// <param name="Reason">
/// For <see cref="InvocationStatus.InputRejected"/>: an <see cref="InputRejectionReason"/> saying whether the enclave
/// accepted the request id; otherwise null. Absent on the wire when null (a body without it decodes to null).
/// </param>
public sealed record ResultMessage(
    long InvocationId, InvocationStatus Status, int ExitCode, string Message, ReadOnlyMemory<byte> Output, ReadOnlyMemory<byte> Log, ResourceUsage Usage,
    ReadOnlyMemory<byte> Receipt = default, string? Reason = null)
{
    /// <summary>Where the time went inside the enclave (null when not reported, e.g. an input refused before the run); absent on the wire when null.</summary>
    public EnclaveTimings? Timings { get; init; }

    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: Output.Length + Log.Length + Receipt.Length + 144);
        w.WriteStartMap(11 + (Reason is null ? 0 : 1) + (Timings is null ? 0 : 1));
        w.WriteTextString("id");
        w.WriteInt64(InvocationId);
        w.WriteTextString("log");
        w.WriteByteString(Log.Span);
        w.WriteTextString("exit");
        w.WriteInt32(ExitCode);
        w.WriteTextString("fuel");
        w.WriteInt64(Usage.Fuel);
        w.WriteTextString("wall");
        w.WriteInt64(Usage.WallMicroseconds);
        w.WriteTextString("memory");
        w.WriteInt64(Usage.MemoryBytes);
        w.WriteTextString("output");
        w.WriteByteString(Output.Span);
        if (Reason is not null)
        {
            w.WriteTextString("reason");
            w.WriteTextString(Reason);
        }

        w.WriteTextString("status");
        w.WriteInt32((int)Status);
        w.WriteTextString("message");
        w.WriteTextString(Message);
        w.WriteTextString("receipt");
        w.WriteByteString(Receipt.Span);
        if (Timings is { } timings)
        {
            w.WriteTextString("timings");
            w.WriteStartArray(4);
            w.WriteInt64(timings.OpenMicroseconds);
            w.WriteInt64(timings.SealMicroseconds);
            w.WriteInt64(timings.ReceiptMicroseconds);
            w.WriteInt64(timings.TotalMicroseconds);
            w.WriteEndArray();
        }

        w.WriteTextString("instantiate");
        w.WriteInt64(Usage.InstantiateMicroseconds);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>
    /// Decodes a body; the envelopes and the receipt are slices of <paramref name="body"/> (a missing receipt is empty,
    /// a missing reason null).
    /// </summary>
    /// <exception cref="ProtocolException">The body is not a well-formed message of this type (malformed CBOR, a wrong type or range, a missing field): the only exception for any body.</exception>
    public static ResultMessage Decode(ReadOnlyMemory<byte> body)
    {
        long? id = null;
        int? exit = null, status = null;
        long fuel = 0, wall = 0, memory = 0, instantiate = 0;
        string? message = null, reason = null;
        EnclaveTimings? timings = null;
        ReadOnlyMemory<byte> output = default, log = default, receipt = default;
        Cbor.ReadMap(body, "Result", (k, r) =>
        {
            switch (k)
            {
                case "id": id = r.ReadInt64(); return true;
                case "log": log = Cbor.ReadBytesSlice(r, body); return true;
                case "exit": exit = Cbor.ReadInt(r); return true;
                case "fuel": fuel = r.ReadInt64(); return true;
                case "wall": wall = r.ReadInt64(); return true;
                case "memory": memory = r.ReadInt64(); return true;
                case "output": output = Cbor.ReadBytesSlice(r, body); return true;
                case "status": status = Cbor.ReadInt(r, 0, (int)InvocationStatus.OutputTooLarge); return true;
                case "message": message = r.ReadTextString(); return true;
                case "receipt": receipt = Cbor.ReadBytesSlice(r, body); return true;
                case "instantiate": instantiate = r.ReadInt64(); return true;
                case "reason": reason = r.ReadTextString(); return true;
                case "timings": timings = ReadTimings(r); return true;
                default: return false;
            }
        });
        return new ResultMessage(
            Cbor.Require(id, "Result", "id"), (InvocationStatus)Cbor.Require(status, "Result", "status"), Cbor.Require(exit, "Result", "exit"),
            Cbor.Require(message, "Result", "message"), output, log, new ResourceUsage(wall, fuel, memory, instantiate), receipt, reason)
        {
            Timings = timings,
        };
    }

    private static EnclaveTimings ReadTimings(CborReader r)
    {
        if (r.ReadStartArray() != 4)
        {
            throw new InvalidOperationException("timings must be an array of 4 integers");
        }

        var timings = new EnclaveTimings(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        r.ReadEndArray();
        return timings;
    }
}
