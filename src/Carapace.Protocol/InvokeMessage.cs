using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>Host → enclave: run the function once on a sealed input envelope.</summary>
/// <param name="InvocationId">Host-chosen id echoed in the result.</param>
/// <param name="Input">The input envelope (sealed for the function's incoming edge).</param>
public sealed record InvokeMessage(long InvocationId, ReadOnlyMemory<byte> Input)
{
    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: Input.Length + 32);
        w.WriteStartMap(2);
        w.WriteTextString("id");
        w.WriteInt64(InvocationId);
        w.WriteTextString("input");
        w.WriteByteString(Input.Span);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>
    /// The body up to the first byte of the input: <c>EncodePrefix(id, n) ‖ input</c> is exactly <see cref="Encode"/>,
    /// so a frame can carry a large sealed input straight from the caller's buffer without a copy.
    /// </summary>
    public static byte[] EncodePrefix(long invocationId, int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        Span<byte> buffer = stackalloc byte[32];
        var n = 0;
        buffer[n++] = 0xa2; // map of 2, keys in canonical (length-first) order
        n += Cbor.WriteTextKey(buffer[n..], "id"u8);
        n += Cbor.WriteInteger(buffer[n..], invocationId);
        n += Cbor.WriteTextKey(buffer[n..], "input"u8);
        n += Cbor.WriteHead(buffer[n..], 2, (ulong)inputLength);
        return buffer[..n].ToArray();
    }

    /// <summary>Decodes a body; <see cref="Input"/> is a slice of <paramref name="body"/>.</summary>
    /// <exception cref="ProtocolException">The body is not a well-formed message of this type (malformed CBOR, a wrong type or range, a missing field): the only exception for any body.</exception>
    public static InvokeMessage Decode(ReadOnlyMemory<byte> body)
    {
        long? id = null;
        ReadOnlyMemory<byte>? input = null;
        Cbor.ReadMap(body, "Invoke", (k, r) =>
        {
            switch (k)
            {
                case "id": id = r.ReadInt64(); return true;
                case "input": input = Cbor.ReadBytesSlice(r, body); return true;
                default: return false;
            }
        });
        return new InvokeMessage(Cbor.Require(id, "Invoke", "id"), Cbor.Require(input, "Invoke", "input"));
    }
}
