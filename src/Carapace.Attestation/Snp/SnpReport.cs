using System.Buffers.Binary;
using System.Globalization;

namespace Carapace.Attestation.Snp;

/// <summary>
/// An AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP ABI specification, "ATTESTATION_REPORT Structure"), parsed with every
/// reserved field checked. Parsing proves nothing: <see cref="SnpReportVerifier"/> checks the signature and the
/// VCEK chain.
/// </summary>
/// <remarks>
/// Report versions read: 2 (the original layout), 3 (adds CPUID_FAM_ID, CPUID_MOD_ID and CPUID_STEP at
/// 0x188–0x18A, taken from the previously reserved bytes) and 5 (also adds LAUNCH_MIT_VECTOR at 0x1F8 and
/// CURRENT_MIT_VECTOR at 0x200, the firmware's mitigation vectors). Every other version is rejected as
/// <see cref="AttestationFailureReason.UnsupportedVersion"/>, because its reserved ranges may carry fields this
/// parser would ignore. Only SIGNATURE_ALGO 1 (ECDSA P-384 with SHA-384) exists and is accepted.
/// </remarks>
public sealed class SnpReport
{
    /// <summary>The size of an ATTESTATION_REPORT in bytes.</summary>
    public const int Size = 0x4A0;

    /// <summary>The number of leading bytes the signature covers (0x000–0x29F).</summary>
    public const int SignedLength = SignatureOffset;

    private const int SignatureOffset = 0x2A0;
    private const int ComponentLength = 72;
    private const int P384Length = 48;
    private const int SignatureEnd = SignatureOffset + 2 * ComponentLength;
    private const uint EcdsaP384Sha384 = 1;
    private const int PolicyDebugBit = 19;

    private readonly byte[] _bytes;
    private readonly byte[] _signature;

    private SnpReport(byte[] bytes, byte[] signature)
    {
        _bytes = bytes;
        _signature = signature;
    }

    /// <summary>VERSION (0x00): 2, 3 or 5.</summary>
    public uint Version => U32(0x00);

    /// <summary>GUEST_SVN (0x04): the guest's security version number.</summary>
    public uint GuestSvn => U32(0x04);

    /// <summary>POLICY (0x08): the guest policy the VM was launched with.</summary>
    public ulong Policy => U64(0x08);

    /// <summary>True when POLICY bit 19 (DEBUG) is set: the hypervisor may read and write the guest's memory.</summary>
    public bool Debug => (Policy & (1UL << PolicyDebugBit)) != 0;

    /// <summary>FAMILY_ID (0x10, 16 bytes) from the ID block.</summary>
    public ReadOnlyMemory<byte> FamilyId => Field(0x10, 16);

    /// <summary>IMAGE_ID (0x20, 16 bytes) from the ID block.</summary>
    public ReadOnlyMemory<byte> ImageId => Field(0x20, 16);

    /// <summary>VMPL (0x30): the virtual machine privilege level that requested the report.</summary>
    public uint Vmpl => U32(0x30);

    /// <summary>SIGNATURE_ALGO (0x34): always 1, ECDSA P-384 with SHA-384, once parsed.</summary>
    public uint SignatureAlgorithm => U32(0x34);

    /// <summary>CURRENT_TCB (0x38): the TCB the platform runs now.</summary>
    public SnpTcbVersion CurrentTcb => new(U64(0x38));

    /// <summary>PLATFORM_INFO (0x40): bit 0 SMT enabled, bit 1 TSME enabled, higher bits by ABI version.</summary>
    public ulong PlatformInfo => U64(0x40);

    /// <summary>SIGNER_INFO (0x48): bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY.</summary>
    public uint SignerInfo => U32(0x48);

    /// <summary>Which key signed the report (SIGNER_INFO bits 4:2).</summary>
    public SnpSigningKey SigningKey => (SnpSigningKey)((SignerInfo >> 2) & 7);

    /// <summary>True when the host masked the chip key (SIGNER_INFO bit 1): the report is then not signed.</summary>
    public bool MaskChipKey => (SignerInfo & 2) != 0;

    /// <summary>True when the ID block carried an author key (SIGNER_INFO bit 0).</summary>
    public bool AuthorKeyEnabled => (SignerInfo & 1) != 0;

    /// <summary>REPORT_DATA (0x50, 64 bytes): the data the guest asked to bind.</summary>
    public ReadOnlyMemory<byte> ReportData => Field(0x50, 64);

    /// <summary>MEASUREMENT (0x90, 48 bytes): the launch digest of the guest.</summary>
    public ReadOnlyMemory<byte> Measurement => Field(0x90, 48);

    /// <summary>HOST_DATA (0xC0, 32 bytes): data the host supplied at launch.</summary>
    public ReadOnlyMemory<byte> HostData => Field(0xC0, 32);

    /// <summary>ID_KEY_DIGEST (0xE0, 48 bytes): SHA-384 of the ID block's signing key, or zeros.</summary>
    public ReadOnlyMemory<byte> IdKeyDigest => Field(0xE0, 48);

    /// <summary>AUTHOR_KEY_DIGEST (0x110, 48 bytes): SHA-384 of the ID block's author key, or zeros.</summary>
    public ReadOnlyMemory<byte> AuthorKeyDigest => Field(0x110, 48);

    /// <summary>REPORT_ID (0x140, 32 bytes): the guest's report id, stable across migration.</summary>
    public ReadOnlyMemory<byte> ReportId => Field(0x140, 32);

    /// <summary>REPORT_ID_MA (0x160, 32 bytes): the report id of the migration agent, or all ones.</summary>
    public ReadOnlyMemory<byte> ReportIdMa => Field(0x160, 32);

    /// <summary>REPORTED_TCB (0x180): the TCB the VCEK was derived from; the VCEK certificate must carry the same.</summary>
    public SnpTcbVersion ReportedTcb => new(U64(0x180));

    /// <summary>CPUID_FAM_ID (0x188), version 3 and later; null before.</summary>
    public byte? CpuidFamilyId => Version >= 3 ? _bytes[0x188] : null;

    /// <summary>CPUID_MOD_ID (0x189), version 3 and later; null before.</summary>
    public byte? CpuidModelId => Version >= 3 ? _bytes[0x189] : null;

    /// <summary>CPUID_STEP (0x18A), version 3 and later; null before.</summary>
    public byte? CpuidStepping => Version >= 3 ? _bytes[0x18A] : null;

    /// <summary>CHIP_ID (0x1A0, 64 bytes): identifies the processor; all zeros when the host masks it.</summary>
    public ReadOnlyMemory<byte> ChipId => Field(0x1A0, 64);

    /// <summary>COMMITTED_TCB (0x1E0): the TCB the platform cannot roll back below.</summary>
    public SnpTcbVersion CommittedTcb => new(U64(0x1E0));

    /// <summary>CURRENT_MAJOR.CURRENT_MINOR.CURRENT_BUILD (0x1EA, 0x1E9, 0x1E8): the running SNP firmware.</summary>
    public Version CurrentFirmware => new(_bytes[0x1EA], _bytes[0x1E9], _bytes[0x1E8]);

    /// <summary>COMMITTED_MAJOR.COMMITTED_MINOR.COMMITTED_BUILD (0x1EE, 0x1ED, 0x1EC): the committed SNP firmware.</summary>
    public Version CommittedFirmware => new(_bytes[0x1EE], _bytes[0x1ED], _bytes[0x1EC]);

    /// <summary>LAUNCH_TCB (0x1F0): the TCB the guest was launched or last migrated with.</summary>
    public SnpTcbVersion LaunchTcb => new(U64(0x1F0));

    /// <summary>LAUNCH_MIT_VECTOR (0x1F8), version 5 and later; null before.</summary>
    public ulong? LaunchMitigationVector => Version >= 5 ? U64(0x1F8) : null;

    /// <summary>CURRENT_MIT_VECTOR (0x200), version 5 and later; null before.</summary>
    public ulong? CurrentMitigationVector => Version >= 5 ? U64(0x200) : null;

    /// <summary>The whole report as parsed.</summary>
    public ReadOnlyMemory<byte> Raw => _bytes;

    /// <summary>The bytes the signature covers: 0x000–0x29F.</summary>
    public ReadOnlyMemory<byte> SignedBytes => _bytes.AsMemory(0, SignedLength);

    /// <summary>The signature as r‖s, each 48 bytes big-endian (IEEE P1363), converted from the report's little-endian form.</summary>
    public ReadOnlyMemory<byte> Signature => _signature;

    /// <summary>
    /// Parses a report given as its 1184 raw bytes or as hex text (whitespace allowed). Throws
    /// <see cref="AttestationException"/>: Malformed for a wrong size or a non-zero reserved field, UnsupportedVersion
    /// for a report version or signature algorithm this parser does not read.
    /// </summary>
    public static SnpReport Parse(ReadOnlySpan<byte> evidence)
    {
        var bytes = SnpReportEncoding.Decode(evidence);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (version is not (2 or 3 or 5))
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"SEV-SNP report version {version} is not supported; Carapace reads versions 2, 3 and 5");
        }

        var algorithm = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(0x34));
        if (algorithm != EcdsaP384Sha384)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the SEV-SNP report's SIGNATURE_ALGO is {algorithm}; only 1 (ECDSA P-384 with SHA-384) is defined");
        }

        var signerInfo = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(0x48));
        if ((signerInfo >> 5) != 0)
        {
            throw AttestationException.Malformed($"the SEV-SNP report's SIGNER_INFO 0x{signerInfo:x8} sets reserved bits 31:5");
        }

        var signingKey = (signerInfo >> 2) & 7;
        if (signingKey is >= 2 and <= 6)
        {
            throw AttestationException.Malformed($"the SEV-SNP report's SIGNING_KEY is {signingKey}, a reserved value (0 VCEK, 1 VLEK, 7 none)");
        }

        RequireZero(bytes, 0x4C, 0x50);
        RequireZero(bytes, version >= 3 ? 0x18B : 0x188, 0x1A0);
        RequireZero(bytes, 0x1EB, 0x1EC);
        RequireZero(bytes, 0x1EF, 0x1F0);
        RequireZero(bytes, version >= 5 ? 0x208 : 0x1F8, SignatureOffset);
        RequireZero(bytes, SignatureEnd, Size);

        var signature = new byte[2 * P384Length];
        ReadComponent(bytes, SignatureOffset, signature.AsSpan(0, P384Length), "R");
        ReadComponent(bytes, SignatureOffset + ComponentLength, signature.AsSpan(P384Length), "S");
        return new SnpReport(bytes, signature);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"SEV-SNP report v{Version}, measurement {Convert.ToHexStringLower(Measurement.Span)}, reported TCB {ReportedTcb}");

    private static void RequireZero(byte[] bytes, int from, int to)
    {
        var nonZero = bytes.AsSpan(from, to - from).IndexOfAnyExcept((byte)0);
        if (nonZero >= 0)
        {
            throw AttestationException.Malformed(
                $"the SEV-SNP report's reserved bytes 0x{from:X3}–0x{to - 1:X3} must be zero, but byte 0x{from + nonZero:X3} is not (a corrupted report, or a newer layout under an old version number)");
        }
    }

    // The ABI stores r and s as 72-byte little-endian integers; a P-384 value fits in the low 48 bytes.
    private static void ReadComponent(byte[] bytes, int offset, Span<byte> bigEndian, string name)
    {
        var component = bytes.AsSpan(offset, ComponentLength);
        if (component[P384Length..].IndexOfAnyExcept((byte)0) >= 0)
        {
            throw AttestationException.Malformed(
                $"the SEV-SNP report's signature {name} (at 0x{offset:X3}) does not fit in 48 bytes, so it is not a P-384 signature");
        }

        component[..P384Length].CopyTo(bigEndian);
        bigEndian.Reverse();
    }

    private uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));

    private ulong U64(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan(offset));

    private ReadOnlyMemory<byte> Field(int offset, int length) => _bytes.AsMemory(offset, length);
}
