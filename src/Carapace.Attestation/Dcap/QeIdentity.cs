using System.Buffers.Binary;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// Intel's identity of the quoting enclave (version 2, <c>id</c> "QE" for SGX or "TD_QE" for TDX): who signs it, what it
/// must be, and the TCB levels of its ISVSVN.
/// </summary>
internal sealed class QeIdentity
{
    public const string SgxId = "QE";
    public const string TdxId = "TD_QE";

    public required string Id { get; init; }

    public required ValidityWindow Window { get; init; }

    /// <summary>The expected MISCSELECT (the JSON hex holds the bytes in report order, little-endian).</summary>
    public required uint MiscSelect { get; init; }

    public required uint MiscSelectMask { get; init; }

    public required byte[] Attributes { get; init; }

    public required byte[] AttributesMask { get; init; }

    public required byte[] MrSigner { get; init; }

    public required ushort IsvProdId { get; init; }

    public required IReadOnlyList<IsvTcbLevel> Levels { get; init; }

    /// <summary>Parses Intel's signed <c>enclaveIdentity</c> JSON text.</summary>
    /// <exception cref="AttestationException">Malformed, or UnsupportedVersion for a version Carapace does not read: the only exception for any text.</exception>
    public static QeIdentity Parse(string json) => JsonFields.Parse(json, "QE identity", Read);

    private static QeIdentity Read(JsonFields identity)
    {
        var version = identity.Int("version", 0, int.MaxValue);
        if (version != 2)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion, $"QE identity version {version} is not supported (only 2)");
        }

        return new QeIdentity
        {
            Id = identity.String("id"),
            Window = new ValidityWindow(identity.Date("issueDate"), identity.Date("nextUpdate")),
            MiscSelect = BinaryPrimitives.ReadUInt32LittleEndian(identity.Hex("miscselect", 4)),
            MiscSelectMask = BinaryPrimitives.ReadUInt32LittleEndian(identity.Hex("miscselectMask", 4)),
            Attributes = identity.Hex("attributes", 16),
            AttributesMask = identity.Hex("attributesMask", 16),
            MrSigner = identity.Hex("mrsigner", 32),
            IsvProdId = (ushort)identity.Int("isvprodid", 0, ushort.MaxValue),
            Levels = IsvTcbLevel.ReadAll(identity),
        };
    }
}
