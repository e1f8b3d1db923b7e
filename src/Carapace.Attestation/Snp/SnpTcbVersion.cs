using System.Buffers.Binary;
using System.Globalization;

namespace Carapace.Attestation.Snp;

/// <summary>
/// An SEV-SNP TCB_VERSION: the security patch levels (SPLs) of the firmware components, as the 8 bytes stored in a
/// report. The component accessors use the Milan and Genoa layout (byte 0 boot loader, byte 1 TEE, bytes 2–5
/// reserved, byte 6 SNP firmware, byte 7 microcode); Turin and later place an FMC byte first and are not read here.
/// </summary>
/// <param name="Raw">The 8 bytes read as a little-endian integer, exactly as the report stores them.</param>
public readonly record struct SnpTcbVersion(ulong Raw)
{
    /// <summary>The boot loader SPL (byte 0).</summary>
    public byte BootLoader => (byte)Raw;

    /// <summary>The PSP operating system (TEE) SPL (byte 1).</summary>
    public byte Tee => (byte)(Raw >> 8);

    /// <summary>The SNP firmware SPL (byte 6).</summary>
    public byte Snp => (byte)(Raw >> 48);

    /// <summary>The CPU microcode SPL (byte 7).</summary>
    public byte Microcode => (byte)(Raw >> 56);

    /// <summary>The 8 bytes in the order the report stores them.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Raw);
        return bytes;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"bootloader {BootLoader}, tee {Tee}, snp {Snp}, microcode {Microcode} ({Convert.ToHexStringLower(ToBytes())})");
}
