using System.Formats.Cbor;

namespace Carapace.Attestation.Nitro;

/// <summary>
/// A COSE_Sign1 structure (RFC 9052 §4.2): <c>[protected: bstr, unprotected: map, payload: bstr, signature: bstr]</c>,
/// optionally under tag 18, with nothing after it. Only the algorithm in the protected header is read; the
/// unprotected header is not signed and is ignored.
/// </summary>
internal sealed class CoseSign1
{
    /// <summary>COSE algorithm ES384: ECDSA with SHA-384 (RFC 9053 §2.1).</summary>
    public const int Es384 = -35;

    private const int AlgorithmLabel = 1;
    private const int Sign1Tag = 18;

    private CoseSign1(byte[] protectedHeader, long algorithm, byte[] payload, byte[] signature)
    {
        ProtectedHeader = protectedHeader;
        Algorithm = algorithm;
        Payload = payload;
        Signature = signature;
    }

    /// <summary>The protected header exactly as encoded (the bstr's contents).</summary>
    public byte[] ProtectedHeader { get; }

    /// <summary>The <c>alg</c> (label 1) of the protected header.</summary>
    public long Algorithm { get; }

    /// <summary>The payload exactly as encoded (the bstr's contents).</summary>
    public byte[] Payload { get; }

    /// <summary>The signature bytes.</summary>
    public byte[] Signature { get; }

    /// <summary>Parses <paramref name="bytes"/>; throws <see cref="AttestationException"/> (Malformed) on any deviation.</summary>
    public static CoseSign1 Parse(ReadOnlyMemory<byte> bytes)
    {
        var reader = new CborReader(bytes, CborConformanceMode.Strict);
        if (reader.PeekState() == CborReaderState.Tag)
        {
            var tag = reader.ReadTag();
            if (tag != (CborTag)Sign1Tag)
            {
                throw AttestationException.Malformed($"the Nitro document carries CBOR tag {(ulong)tag}; a COSE_Sign1 is untagged or tag 18");
            }
        }

        Expect(reader, CborReaderState.StartArray, "a COSE_Sign1 array");
        if (reader.ReadStartArray() != 4)
        {
            throw AttestationException.Malformed("the Nitro document is not a COSE_Sign1: its array must have exactly 4 items");
        }

        Expect(reader, CborReaderState.ByteString, "the protected header (a byte string)");
        var protectedHeader = reader.ReadByteString();
        var algorithm = ReadAlgorithm(protectedHeader);

        Expect(reader, CborReaderState.StartMap, "the unprotected header (a map)");
        reader.SkipValue();

        Expect(reader, CborReaderState.ByteString, "the payload (a byte string; detached payloads are not used by Nitro)");
        var payload = reader.ReadByteString();

        Expect(reader, CborReaderState.ByteString, "the signature (a byte string)");
        var signature = reader.ReadByteString();
        reader.ReadEndArray();
        if (reader.BytesRemaining != 0)
        {
            throw AttestationException.Malformed($"the Nitro document has {reader.BytesRemaining} bytes after its COSE_Sign1 structure; remove them");
        }

        return new CoseSign1(protectedHeader, algorithm, payload, signature);
    }

    /// <summary>The bytes the signature covers: <c>Sig_structure = ["Signature1", protected, h'', payload]</c>.</summary>
    public byte[] ToBeSigned()
    {
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteStartArray(4);
        writer.WriteTextString("Signature1");
        writer.WriteByteString(ProtectedHeader);
        writer.WriteByteString([]);
        writer.WriteByteString(Payload);
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static long ReadAlgorithm(byte[] protectedHeader)
    {
        var reader = new CborReader(protectedHeader, CborConformanceMode.Strict);
        if (protectedHeader.Length == 0 || reader.PeekState() != CborReaderState.StartMap)
        {
            throw AttestationException.Malformed("the Nitro document's protected header is not a CBOR map, so it names no signature algorithm");
        }

        long? algorithm = null;
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            var isInteger = reader.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger;
            if (isInteger && reader.ReadInt64() == AlgorithmLabel)
            {
                if (reader.PeekState() is not (CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger) || algorithm is not null)
                {
                    throw AttestationException.Malformed("the Nitro document's protected header must name its algorithm once, as an integer");
                }

                algorithm = reader.ReadInt64();
                continue;
            }

            if (!isInteger)
            {
                reader.SkipValue(); // a text label
            }

            reader.SkipValue(); // the value of a label other than alg
        }

        reader.ReadEndMap();
        if (reader.BytesRemaining != 0)
        {
            throw AttestationException.Malformed("the Nitro document's protected header has bytes after its map");
        }

        return algorithm ?? throw AttestationException.Malformed("the Nitro document's protected header names no algorithm (label 1)");
    }

    private static void Expect(CborReader reader, CborReaderState state, string what)
    {
        var actual = reader.PeekState();
        if (actual != state)
        {
            throw AttestationException.Malformed($"the Nitro document is not a COSE_Sign1: expected {what}, found {actual}");
        }
    }
}
