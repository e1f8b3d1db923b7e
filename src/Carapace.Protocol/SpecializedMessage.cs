using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>
/// Enclave → host: the function is loaded. <paramref name="Confirmation"/> is sealed under the session key and
/// tells the provisioner which measurement the enclave computed for what it actually loaded; the host cannot
/// forge it. A freshly compiled module comes back as a cache artifact for the host to store.
/// </summary>
/// <param name="Measurement">SHA-256 over runtime identity, module hash and canonical manifest.</param>
/// <param name="Confirmation">Nonce ‖ AES-GCM(session key, measurement) ‖ tag.</param>
/// <param name="NewArtifact">A precompiled module to cache (empty when the module came from the cache).</param>
/// <param name="Compiled">True when the module was compiled now, false when it was loaded from the cache.</param>
/// <param name="LoadMicroseconds">Time to compile or deserialize, and instantiate-check, in microseconds.</param>
public sealed record SpecializedMessage(
    ReadOnlyMemory<byte> Measurement, ReadOnlyMemory<byte> Confirmation, ReadOnlyMemory<byte> NewArtifact, bool Compiled, long LoadMicroseconds)
{
    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: 128 + Measurement.Length + Confirmation.Length + NewArtifact.Length);
        w.WriteStartMap(5);
        w.WriteTextString("load");
        w.WriteInt64(LoadMicroseconds);
        w.WriteTextString("confirm");
        w.WriteByteString(Confirmation.Span);
        w.WriteTextString("artifact");
        w.WriteByteString(NewArtifact.Span);
        w.WriteTextString("compiled");
        w.WriteBoolean(Compiled);
        w.WriteTextString("measurement");
        w.WriteByteString(Measurement.Span);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes a body.</summary>
    /// <exception cref="ProtocolException">The body is not a well-formed message of this type (malformed CBOR, a wrong type or range, a missing field): the only exception for any body.</exception>
    public static SpecializedMessage Decode(ReadOnlyMemory<byte> body)
    {
        ReadOnlyMemory<byte>? measurement = null, confirm = null, artifact = null;
        bool? compiled = null;
        long? load = null;
        Cbor.ReadMap(body, "Specialized", (k, r) =>
        {
            switch (k)
            {
                case "load": load = r.ReadInt64(); return true;
                case "confirm": confirm = r.ReadByteString(); return true;
                case "artifact": artifact = Cbor.ReadBytesSlice(r, body); return true;
                case "compiled": compiled = r.ReadBoolean(); return true;
                case "measurement": measurement = r.ReadByteString(); return true;
                default: return false;
            }
        });
        return new SpecializedMessage(
            Cbor.Require(measurement, "Specialized", "measurement"), Cbor.Require(confirm, "Specialized", "confirm"),
            artifact ?? ReadOnlyMemory<byte>.Empty, Cbor.Require(compiled, "Specialized", "compiled"), Cbor.Require(load, "Specialized", "load"));
    }
}
