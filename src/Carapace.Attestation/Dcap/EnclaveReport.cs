using System.Buffers.Binary;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// The fields of a 384-byte SGX report body (<c>sgx_report_body_t</c>): the body of an SGX quote and the quoting
/// enclave's own report inside every quote.
/// </summary>
internal sealed class EnclaveReport
{
    /// <summary>The size of an SGX report body.</summary>
    public const int Size = 384;

    private readonly ReadOnlyMemory<byte> _bytes;

    public EnclaveReport(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"an SGX report body has {Size} bytes, not {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes;
    }

    public ReadOnlyMemory<byte> CpuSvn => _bytes.Slice(0x00, 16);

    public uint MiscSelect => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.Span[0x10..]);

    public ReadOnlyMemory<byte> IsvExtProdId => _bytes.Slice(0x20, 16);

    /// <summary>ATTRIBUTES: 8 bytes of flags, then 8 bytes of XFRM.</summary>
    public ReadOnlyMemory<byte> Attributes => _bytes.Slice(0x30, 16);

    public ReadOnlyMemory<byte> MrEnclave => _bytes.Slice(0x40, 32);

    public ReadOnlyMemory<byte> MrSigner => _bytes.Slice(0x80, 32);

    public ReadOnlyMemory<byte> ConfigId => _bytes.Slice(0xC0, 64);

    public ushort IsvProdId => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.Span[0x100..]);

    public ushort IsvSvn => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.Span[0x102..]);

    public ushort ConfigSvn => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.Span[0x104..]);

    public ReadOnlyMemory<byte> IsvFamilyId => _bytes.Slice(0x130, 16);

    public ReadOnlyMemory<byte> ReportData => _bytes.Slice(0x140, 64);

    /// <summary>ATTRIBUTES.DEBUG (flags bit 1): the enclave's memory can be read by a debugger.</summary>
    public bool Debug => (_bytes.Span[0x30] & 0x02) != 0;

    /// <summary>The report's fields as claims, in a stable order.</summary>
    public IEnumerable<Claim> Claims()
    {
        yield return Claim.Of("mrenclave", MrEnclave.Span);
        yield return Claim.Of("mrsigner", MrSigner.Span);
        yield return Claim.Of("isvprodid", IsvProdId);
        yield return Claim.Of("isvsvn", IsvSvn);
        yield return Claim.Of("attributes", Attributes.Span);
        yield return Claim.Of("miscselect", MiscSelect);
        yield return Claim.Of("cpusvn", CpuSvn.Span);
        yield return Claim.Of("configid", ConfigId.Span);
        yield return Claim.Of("configsvn", ConfigSvn);
        yield return Claim.Of("isvextprodid", IsvExtProdId.Span);
        yield return Claim.Of("isvfamilyid", IsvFamilyId.Span);
        yield return Claim.Of("reportData", ReportData.Span);
    }
}
