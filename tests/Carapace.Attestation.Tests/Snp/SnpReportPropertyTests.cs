using Carapace.Attestation.Snp;
using FsCheck;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.Snp;

public sealed class SnpReportPropertyTests
{
    private static readonly SnpReportVerifier _verifier = new();
    private static readonly VerificationOptions _options = SnpTestData.Options();

    [Property(MaxTest = 300)]
    public bool Random_bytes_are_rejected_without_an_exception(byte[] bytes) =>
        !_verifier.Verify(bytes, _options).Verified;

    [Property(MaxTest = 300)]
    public bool Random_report_sized_bytes_are_rejected_without_an_exception(int seed)
    {
        var bytes = new byte[SnpReport.Size];
        new Random(seed).NextBytes(bytes);
        bytes[0] = (byte)(seed % 7); // reach the version- and signature-dependent paths as well
        return !_verifier.Verify(bytes, _options).Verified;
    }

    [Property(MaxTest = 300)]
    public bool Mutations_of_the_real_report_are_rejected_without_an_exception(NonEmptyArray<int> positions, NonEmptyArray<byte> masks)
    {
        var bytes = SnpTestData.Report;
        var distinct = positions.Get.Select(p => (int)((uint)p % (uint)bytes.Length)).Distinct().ToArray();
        for (var i = 0; i < distinct.Length; i++)
        {
            var mask = masks.Get[i % masks.Get.Length];
            bytes[distinct[i]] ^= mask == 0 ? (byte)0xFF : mask;
        }

        return !_verifier.Verify(bytes, _options).Verified;
    }

    [Property(MaxTest = 200)]
    public bool Truncated_or_extended_real_reports_are_rejected_without_an_exception(NonNegativeInt cut, byte[] tail)
    {
        var report = SnpTestData.Report;
        var keep = cut.Get % report.Length;
        byte[] bytes = [.. report.AsSpan(0, keep), .. tail];
        return bytes.Length == SnpReport.Size && bytes.AsSpan().SequenceEqual(report) || !_verifier.Verify(bytes, _options).Verified;
    }
}
