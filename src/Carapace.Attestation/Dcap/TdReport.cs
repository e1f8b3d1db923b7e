namespace Carapace.Attestation.Dcap;

/// <summary>
/// The fields of a TDX TD report body: 584 bytes for TDX 1.0 (<c>sgx_report2_body_t</c>), 648 bytes for TDX 1.5
/// (the same, then TEE_TCB_SVN2 and MRSERVICETD).
/// </summary>
internal sealed class TdReport
{
    /// <summary>The size of a TDX 1.0 TD report body.</summary>
    public const int Size10 = 584;

    /// <summary>The size of a TDX 1.5 TD report body.</summary>
    public const int Size15 = 648;

    private readonly ReadOnlyMemory<byte> _bytes;

    public TdReport(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length is not (Size10 or Size15))
        {
            throw new ArgumentException($"a TD report body has {Size10} or {Size15} bytes, not {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes;
    }

    /// <summary>True for a TDX 1.5 body (with TEE_TCB_SVN2 and MRSERVICETD).</summary>
    public bool IsTdx15 => _bytes.Length == Size15;

    public ReadOnlyMemory<byte> TeeTcbSvn => _bytes.Slice(0x00, 16);

    public ReadOnlyMemory<byte> MrSeam => _bytes.Slice(0x10, 48);

    public ReadOnlyMemory<byte> MrSignerSeam => _bytes.Slice(0x40, 48);

    public ReadOnlyMemory<byte> SeamAttributes => _bytes.Slice(0x70, 8);

    public ReadOnlyMemory<byte> TdAttributes => _bytes.Slice(0x78, 8);

    public ReadOnlyMemory<byte> Xfam => _bytes.Slice(0x80, 8);

    public ReadOnlyMemory<byte> MrTd => _bytes.Slice(0x88, 48);

    public ReadOnlyMemory<byte> MrConfigId => _bytes.Slice(0xB8, 48);

    public ReadOnlyMemory<byte> MrOwner => _bytes.Slice(0xE8, 48);

    public ReadOnlyMemory<byte> MrOwnerConfig => _bytes.Slice(0x118, 48);

    public ReadOnlyMemory<byte> ReportData => _bytes.Slice(0x208, 64);

    /// <summary>TEE_TCB_SVN2 (TDX 1.5 only; empty otherwise).</summary>
    public ReadOnlyMemory<byte> TeeTcbSvn2 => IsTdx15 ? _bytes.Slice(0x248, 16) : ReadOnlyMemory<byte>.Empty;

    /// <summary>MRSERVICETD (TDX 1.5 only; empty otherwise).</summary>
    public ReadOnlyMemory<byte> MrServiceTd => IsTdx15 ? _bytes.Slice(0x258, 48) : ReadOnlyMemory<byte>.Empty;

    /// <summary>TDATTRIBUTES.DEBUG (bit 0): the TD runs in debug mode and its state is visible to the host.</summary>
    public bool Debug => (_bytes.Span[0x78] & 0x01) != 0;

    /// <summary>RTMR0..RTMR3.</summary>
    public ReadOnlyMemory<byte> Rtmr(int index) =>
        index is >= 0 and < 4 ? _bytes.Slice(0x148 + (48 * index), 48) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The report's fields as claims, in a stable order.</summary>
    public IEnumerable<Claim> Claims()
    {
        yield return Claim.Of("mrtd", MrTd.Span);
        for (var i = 0; i < 4; i++)
        {
            yield return Claim.Of($"rtmr{i}", Rtmr(i).Span);
        }

        yield return Claim.Of("mrseam", MrSeam.Span);
        yield return Claim.Of("mrsignerseam", MrSignerSeam.Span);
        yield return Claim.Of("seamattributes", SeamAttributes.Span);
        yield return Claim.Of("tdattributes", TdAttributes.Span);
        yield return Claim.Of("xfam", Xfam.Span);
        yield return Claim.Of("teetcbsvn", TeeTcbSvn.Span);
        yield return Claim.Of("mrconfigid", MrConfigId.Span);
        yield return Claim.Of("mrowner", MrOwner.Span);
        yield return Claim.Of("mrownerconfig", MrOwnerConfig.Span);
        if (IsTdx15)
        {
            yield return Claim.Of("teetcbsvn2", TeeTcbSvn2.Span);
            yield return Claim.Of("mrservicetd", MrServiceTd.Span);
        }

        yield return Claim.Of("reportData", ReportData.Span);
    }
}
