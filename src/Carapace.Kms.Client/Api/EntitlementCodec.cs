using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Client.Secrets;

namespace Carapace.Kms.Client.Api;

/// <summary>
/// The plaintext of a sealed release: an <see cref="Entitlement"/> in one exactly-sized buffer (so the caller can zero
/// every copy of the values). Strings are <c>u16 length ‖ UTF-8</c>, integers big-endian:
/// <code>
/// "CKE1" ‖ namespace ‖ function ‖ u64 policyVersion ‖ evidenceKind ‖ measurement (hex)
/// ‖ u16 n ‖ n × (name ‖ i64 version ‖ u32 length ‖ value)                  secrets
/// ‖ u16 n ‖ n × (chain ‖ i32 step ‖ i32 steps)                              chain positions
/// ‖ u16 n ‖ n × (chain ‖ i32 fromStep ‖ i32 toStep ‖ 32-byte key)           edge keys
/// </code>
/// </summary>
internal static class EntitlementCodec
{
    private static ReadOnlySpan<byte> Magic => "CKE1"u8;

    /// <summary>Encodes <paramref name="entitlement"/>. The caller zeroes the result.</summary>
    public static byte[] Encode(Entitlement entitlement)
    {
        var kind = EvidenceKinds.Name(entitlement.EvidenceKind);
        var size = Magic.Length + Str(entitlement.Namespace) + Str(entitlement.Function) + 8 + Str(kind) + Str(entitlement.Measurement) + 6;
        size += entitlement.Secrets.Sum(s => Str(s.Name) + 8 + 4 + s.Length);
        size += entitlement.Steps.Sum(s => Str(s.Chain) + 8);
        size += entitlement.EdgeKeys.Sum(k => Str(k.ChainId) + 8 + EdgeKey.Size);

        var buffer = new byte[size];
        var w = new Writer(buffer);
        w.Bytes(Magic);
        w.String(entitlement.Namespace);
        w.String(entitlement.Function);
        w.UInt64(entitlement.PolicyVersion);
        w.String(kind);
        w.String(entitlement.Measurement);
        w.UInt16(checked((ushort)entitlement.Secrets.Count));
        foreach (var secret in entitlement.Secrets)
        {
            w.String(secret.Name);
            w.Int64(secret.Version);
            w.Int32(secret.Length);
            w.Bytes(secret.Value);
        }

        w.UInt16(checked((ushort)entitlement.Steps.Count));
        foreach (var step in entitlement.Steps)
        {
            w.String(step.Chain);
            w.Int32(step.Step);
            w.Int32(step.Steps);
        }

        w.UInt16(checked((ushort)entitlement.EdgeKeys.Count));
        foreach (var key in entitlement.EdgeKeys)
        {
            w.String(key.ChainId);
            w.Int32(key.FromStep);
            w.Int32(key.ToStep);
            key.CopyTo(w.Take(EdgeKey.Size));
        }

        if (w.Position != buffer.Length)
        {
            CryptographicOperations.ZeroMemory(buffer);
            throw new InvalidOperationException("the entitlement encoding size was miscomputed");
        }

        return buffer;
    }

    /// <summary>Decodes a buffer made by <see cref="Encode"/> into a new entitlement (copying the values out; the caller zeroes the buffer).</summary>
    /// <exception cref="InvalidDataException">The buffer is not a well-formed entitlement.</exception>
    public static Entitlement Decode(ReadOnlySpan<byte> buffer)
    {
        var secrets = new List<SecretValue>();
        var keys = new List<EdgeKey>();
        try
        {
            var r = new Reader(buffer);
            if (!r.Take(Magic.Length).SequenceEqual(Magic))
            {
                throw new InvalidDataException("the released entitlement does not start with CKE1");
            }

            var ns = r.String();
            var function = r.String();
            var policyVersion = r.UInt64();
            if (!EvidenceKinds.TryParse(r.String(), out var kind))
            {
                throw new InvalidDataException("the released entitlement names an unknown evidence kind");
            }

            var measurement = r.String();
            for (int i = 0, n = r.UInt16(); i < n; i++)
            {
                var name = r.String();
                var version = r.Int64();
                var length = r.Int32();
                if (length is < 0 or > SecretValue.MaxBytes)
                {
                    throw new InvalidDataException("a released secret has an impossible length");
                }

                secrets.Add(new SecretValue(ns, name, version, r.Take(length).ToArray()));
            }

            var steps = new List<ChainStep>();
            for (int i = 0, n = r.UInt16(); i < n; i++)
            {
                steps.Add(new ChainStep(r.String(), r.Int32(), r.Int32()));
            }

            for (int i = 0, n = r.UInt16(); i < n; i++)
            {
                var chain = r.String();
                var from = r.Int32();
                var to = r.Int32();
                keys.Add(EdgeKey.FromBytes(r.Take(EdgeKey.Size), chain, from, to));
            }

            if (!r.AtEnd)
            {
                throw new InvalidDataException("the released entitlement has bytes after its end");
            }

            return new Entitlement(ns, function, policyVersion, kind, measurement, secrets, steps, keys);
        }
        catch (Exception e) when (e is ArgumentException or DecoderFallbackException)
        {
            secrets.ForEach(s => s.Dispose());
            keys.ForEach(k => k.Dispose());
            throw new InvalidDataException("the released entitlement is malformed", e);
        }
        catch
        {
            secrets.ForEach(s => s.Dispose());
            keys.ForEach(k => k.Dispose());
            throw;
        }
    }

    private static int Str(string value) => 2 + Encoding.UTF8.GetByteCount(value);

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public Span<byte> Take(int count)
        {
            var slice = _buffer.Slice(Position, count);
            Position += count;
            return slice;
        }

        public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

        public void String(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            UInt16(checked((ushort)length));
            Encoding.UTF8.GetBytes(value, Take(length));
        }

        public void UInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

        public void Int32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

        public void Int64(long value) => BinaryPrimitives.WriteInt64BigEndian(Take(8), value);

        public void UInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), value);
    }

    private ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _position;

        public readonly bool AtEnd => _position == _buffer.Length;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _buffer.Length - _position)
            {
                throw new InvalidDataException("the released entitlement is truncated");
            }

            var slice = _buffer.Slice(_position, count);
            _position += count;
            return slice;
        }

        public string String() => s_strict.GetString(Take(UInt16()));

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));
    }
}
