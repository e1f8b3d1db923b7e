using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>
/// Enclave → host, once, when the enclave process has loaded its runtime and engine: the protocol version, the
/// runtime identity (part of every measurement), and the public half of the enclave's fresh ECDH P-256 session key.
/// </summary>
/// <param name="ProtocolVersion">Always <see cref="CurrentVersion"/> today.</param>
/// <param name="RuntimeIdentity">SHA-256 identifying the enclave runtime build and engine settings.</param>
/// <param name="SessionPublicKey">The enclave's ECDH P-256 public key, SEC1 uncompressed (65 bytes).</param>
/// <param name="ProcessId">The enclave's process id.</param>
/// <param name="Simulation">True: the enclave is a plain OS process, not hardware-isolated.</param>
/// <param name="Lane">True: the enclave mapped the shared lane it was given and reads and writes frames there too.</param>
public sealed record ReadyMessage(int ProtocolVersion, ReadOnlyMemory<byte> RuntimeIdentity, ReadOnlyMemory<byte> SessionPublicKey, int ProcessId, bool Simulation, bool Lane = false)
{
    /// <summary>The protocol version of this build (2: the shared lane and the doorbell).</summary>
    public const int CurrentVersion = 2;

    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(6);
        w.WriteTextString("v");
        w.WriteInt32(ProtocolVersion);
        w.WriteTextString("lane");
        w.WriteBoolean(Lane);
        w.WriteTextString("pid");
        w.WriteInt32(ProcessId);
        w.WriteTextString("key");
        w.WriteByteString(SessionPublicKey.Span);
        w.WriteTextString("sim");
        w.WriteBoolean(Simulation);
        w.WriteTextString("runtime");
        w.WriteByteString(RuntimeIdentity.Span);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes a body.</summary>
    /// <exception cref="ProtocolException">The body is not a well-formed message of this type (malformed CBOR, a wrong type or range, a missing field): the only exception for any body.</exception>
    public static ReadyMessage Decode(ReadOnlyMemory<byte> body)
    {
        int? version = null, pid = null;
        ReadOnlyMemory<byte>? runtime = null, key = null;
        bool? sim = null;
        var lane = false;
        Cbor.ReadMap(body, "Ready", (k, r) =>
        {
            switch (k)
            {
                case "v": version = Cbor.ReadInt(r); return true;
                case "pid": pid = Cbor.ReadInt(r, 0); return true;
                case "key": key = r.ReadByteString(); return true;
                case "sim": sim = r.ReadBoolean(); return true;
                case "lane": lane = r.ReadBoolean(); return true;
                case "runtime": runtime = r.ReadByteString(); return true;
                default: return false;
            }
        });
        return new ReadyMessage(
            Cbor.Require(version, "Ready", "v"), Cbor.Require(runtime, "Ready", "runtime"), Cbor.Require(key, "Ready", "key"),
            Cbor.Require(pid, "Ready", "pid"), Cbor.Require(sim, "Ready", "sim"), lane);
    }
}
