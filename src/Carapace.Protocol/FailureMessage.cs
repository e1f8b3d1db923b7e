using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>Enclave → host: a request failed. The message never contains secrets or function data.</summary>
/// <param name="Stage">What failed: "specialize", "invoke", "protocol".</param>
/// <param name="Message">What was wrong.</param>
/// <param name="Fatal">True when the enclave is exiting and must be replaced.</param>
public sealed record FailureMessage(string Stage, string Message, bool Fatal)
{
    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(3);
        w.WriteTextString("fatal");
        w.WriteBoolean(Fatal);
        w.WriteTextString("stage");
        w.WriteTextString(Stage);
        w.WriteTextString("message");
        w.WriteTextString(Message);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes a body.</summary>
    public static FailureMessage Decode(ReadOnlyMemory<byte> body)
    {
        string? stage = null, message = null;
        bool fatal = false;
        Cbor.ReadMap(body, "Failure", (k, r) =>
        {
            switch (k)
            {
                case "fatal": fatal = r.ReadBoolean(); return true;
                case "stage": stage = r.ReadTextString(); return true;
                case "message": message = r.ReadTextString(); return true;
                default: return false;
            }
        });
        return new FailureMessage(Cbor.Require(stage, "Failure", "stage"), Cbor.Require(message, "Failure", "message"), fatal);
    }
}
