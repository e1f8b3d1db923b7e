using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Tests.Golden;

/// <summary>
/// Opens the golden envelopes with a from-scratch implementation of docs/envelope.md (edge key HKDF, message key
/// HKDF-Expand over label ‖ salt ‖ request id, nonce 0×7 ‖ u32 index ‖ final flag, the header as associated data,
/// the final-chunk rule, the padding trailer) that shares no code with the library, so the library and the written
/// format cannot drift apart together.
/// </summary>
public sealed class SpecConformanceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Golden_envelope_decrypts_with_an_independent_implementation_of_the_spec(bool padded)
    {
        var master = TestKeysFromFile();
        var envelope = GoldenFiles.Sealed(padded);

        Assert.Equal(GoldenFiles.Plaintext, ReferenceOpen(master, "golden", 0, 1, envelope));
    }

    [Fact]
    public void Key_id_is_the_first_8_bytes_of_hmac_sha256_of_the_label()
    {
        using var edge = GoldenFiles.EdgeKey();
        var edgeBytes = ReferenceEdgeKey(TestKeysFromFile(), "golden", 0, 1);

        var mac = HMACSHA256.HashData(edgeBytes, Encoding.ASCII.GetBytes("carapace key id v1"));

        Assert.Equal(Convert.ToHexStringLower(mac[..8]), edge.Id.ToString());
        Assert.Equal(BinaryPrimitives.ReadUInt64BigEndian(mac), edge.Id.Value);
    }

    [Fact]
    public void Edge_key_is_hkdf_of_the_master_key_over_label_chain_and_steps()
    {
        using var edge = GoldenFiles.EdgeKey();
        var actual = new byte[EdgeKey.Size];
        edge.CopyTo(actual);

        Assert.Equal(ReferenceEdgeKey(TestKeysFromFile(), "golden", 0, 1), actual);
    }

    private static byte[] TestKeysFromFile()
    {
        var line = Encoding.ASCII.GetString(GoldenFiles.Read("master.key")).TrimEnd('\n');
        return Convert.FromBase64String(line["carapace-master-key-v1:".Length..]);
    }

    private static byte[] ReferenceEdgeKey(byte[] master, string chain, int from, int to)
    {
        var chainBytes = Encoding.UTF8.GetBytes(chain);
        var info = new List<byte>(Encoding.ASCII.GetBytes("carapace edge key v1"));
        info.AddRange([(byte)(chainBytes.Length >> 8), (byte)chainBytes.Length]);
        info.AddRange(chainBytes);
        info.AddRange(BigEndian(from));
        info.AddRange(BigEndian(to));
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, salt: [], info: [.. info]);
    }

    private static byte[] ReferenceOpen(byte[] master, string chain, int from, int to, byte[] envelope)
    {
        Assert.Equal("CRPE", Encoding.ASCII.GetString(envelope, 0, 4));
        Assert.Equal(1, envelope[4]);
        var padded = (envelope[5] & 1) != 0;
        var chunkSize = 1 << envelope[6];
        var salt = envelope[8..40];
        var metadataLength = (int)BinaryPrimitives.ReadUInt32BigEndian(envelope.AsSpan(40));
        var header = envelope[..(44 + metadataLength)];

        // The request id is the 16-byte value after the CBOR text key "rid" (0x63 'r' 'i' 'd') and byte-string head 0x50.
        var ridAt = header.AsSpan().IndexOf("\u0063rid\u0050"u8) + 5;
        var info = Encoding.ASCII.GetBytes("carapace envelope v1 message key").Concat(salt).Concat(header[ridAt..(ridAt + 16)]).ToArray();
        var messageKey = HKDF.Expand(HashAlgorithmName.SHA256, ReferenceEdgeKey(master, chain, from, to), 32, info);
        using var aes = new AesGcm(messageKey, 16);

        var output = new List<byte>();
        var body = envelope.AsSpan(header.Length);
        var maxFinal = chunkSize + 16 + (padded ? 4 : 0);
        for (uint index = 0; ; index++)
        {
            var final = body.Length <= maxFinal;
            var chunk = final ? body : body[..(chunkSize + 16)];
            var nonce = new byte[7].Concat(BigEndian((int)index)).Append(final ? (byte)1 : (byte)0).ToArray();
            var plain = new byte[chunk.Length - 16];
            aes.Decrypt(nonce, chunk[..^16], chunk[^16..], plain, header);
            if (final)
            {
                var dataLength = padded ? plain.Length - 4 - (int)BinaryPrimitives.ReadUInt32BigEndian(plain.AsSpan(plain.Length - 4)) : plain.Length;
                output.AddRange(plain[..dataLength]);
                return [.. output];
            }

            output.AddRange(plain);
            body = body[chunk.Length..];
        }
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
