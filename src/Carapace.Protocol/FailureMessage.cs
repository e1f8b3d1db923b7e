using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>Enclave → host: a request failed. The message never contains secrets or function data.</summary>
/// <param name="Stage">What failed: "specialize", "invoke", "protocol".</param>
/// <param name="Message">What was wrong.</param>
/// <param name="Fatal">True when the enclave is exiting and must be replaced.</param>
/// <param name="Reason">A <see cref="FailureReason"/> when the host may act on this failure, else null (and absent on the wire).</param>
public sealed record FailureMessage(string Stage, string Message, bool Fatal, string? Reason = null)
{
    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(Reason is null ? 3 : 4);
        w.WriteTextString("fatal");
        w.WriteBoolean(Fatal);
        w.WriteTextString("stage");
        w.WriteTextString(Stage);
        if (Reason is not null)
        {
            w.WriteTextString("reason");
            w.WriteTextString(Reason);
        }

        w.WriteTextString("message");
        w.WriteTextString(Message);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes a body.</summary>
    /// <exception cref="ProtocolException">The body is not a well-formed message of this type (malformed CBOR, a wrong type or range, a missing field): the only exception for any body.</exception>
    public static FailureMessage Decode(ReadOnlyMemory<byte> body)
    {
        string? stage = null, message = null, reason = null;
        bool fatal = false;
        Cbor.ReadMap(body, "Failure", (k, r) =>
        {
            switch (k)
            {
                case "fatal": fatal = r.ReadBoolean(); return true;
                case "stage": stage = r.ReadTextString(); return true;
                case "message": message = r.ReadTextString(); return true;
                case "reason": reason = r.ReadTextString(); return true;
                default: return false;
            }
        });
        return new FailureMessage(Cbor.Require(stage, "Failure", "stage"), Cbor.Require(message, "Failure", "message"), fatal, reason);
    }
}
