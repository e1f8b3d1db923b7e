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

    /// <summary>Decodes a body; <see cref="Input"/> is a slice of <paramref name="body"/>.</summary>
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
