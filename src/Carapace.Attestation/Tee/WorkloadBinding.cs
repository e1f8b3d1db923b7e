using System.Security.Cryptography;

namespace Carapace.Attestation.Tee;

/// <summary>
/// Carapace's report-data layout for evidence of a VM-wide TEE (Intel TDX, AMD SEV-SNP) issued on behalf of one
/// workload inside the VM — a function enclave, or the KMS. The hardware measures the VM, not the process, so the
/// 64 report-data bytes name the workload and bind it to what the workload wanted bound (its fresh key, a nonce):
/// <code>
/// REPORTDATA[0..32]  = SHA-256("carapace/tee/workload/v1" ‖ workload (32) ‖ bound (64))
/// REPORTDATA[32..64] = workload (32)
/// </code>
/// where <c>workload</c> is the Carapace measurement of the code (the function measurement, or the KMS identity) and
/// <c>bound</c> is what Carapace binds in simulation evidence: for an RA-TLS certificate SHA-256(claims buffer) ‖ 32
/// zero bytes (the claims carry the certificate key's hash and the verifier's nonce), for a receipt key
/// SHA-256(key) ‖ SHA-256("carapace receipt key v1"). A verifier reads the workload from the second half and checks the
/// first half against what it expects bound; the VM's launch measurement and TCB are checked separately.
/// </summary>
public static class WorkloadBinding
{
    /// <summary>The size of a workload measurement.</summary>
    public const int WorkloadSize = 32;

    /// <summary>The domain label at the start of the hashed input: <c>carapace/tee/workload/v1</c> (ASCII, no terminator).</summary>
    public static ReadOnlySpan<byte> Label => "carapace/tee/workload/v1"u8;

    /// <summary>The report data that binds <paramref name="workload"/> (32 bytes) and <paramref name="bound"/> (64 bytes).</summary>
    /// <exception cref="ArgumentException">A size is wrong.</exception>
    public static byte[] Bind(ReadOnlySpan<byte> workload, ReadOnlySpan<byte> bound)
    {
        if (workload.Length != WorkloadSize)
        {
            throw new ArgumentException($"a workload measurement is {WorkloadSize} bytes, not {workload.Length}", nameof(workload));
        }

        if (bound.Length != ReportData.Size)
        {
            throw new ArgumentException($"the bound data are {ReportData.Size} bytes, not {bound.Length}", nameof(bound));
        }

        var reportData = new byte[ReportData.Size];
        Digest(workload, bound, reportData.AsSpan(0, 32));
        workload.CopyTo(reportData.AsSpan(32));
        return reportData;
    }

    /// <summary>
    /// True when <paramref name="reportData"/> is <see cref="Bind"/> of some workload and <paramref name="bound"/>
    /// (compared in constant time); the workload is returned.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> reportData, ReadOnlySpan<byte> bound, out byte[] workload)
    {
        workload = [];
        if (reportData.Length != ReportData.Size || bound.Length != ReportData.Size)
        {
            return false;
        }

        var claimed = reportData[32..];
        Span<byte> expected = stackalloc byte[32];
        Digest(claimed, bound, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, reportData[..32]))
        {
            return false;
        }

        workload = claimed.ToArray();
        return true;
    }

    private static void Digest(ReadOnlySpan<byte> workload, ReadOnlySpan<byte> bound, Span<byte> destination)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Label);
        hash.AppendData(workload);
        hash.AppendData(bound);
        hash.GetHashAndReset(destination);
    }
}
