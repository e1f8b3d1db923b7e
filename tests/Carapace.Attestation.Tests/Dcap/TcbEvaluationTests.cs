using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>Intel's TCB level selection and status convergence, on the vectors' collateral and on small tables.</summary>
public sealed class TcbEvaluationTests
{
    private static readonly IsvTcbLevel _upToDateQe = new(8, Vectors.Utc("2024-03-13T00:00:00Z"), "UpToDate", []);

    [Fact]
    public void The_sgx_vector_is_at_intels_second_level()
    {
        var info = TcbInfo.Parse(SgxCollateral().TcbInfo);

        var verdict = TcbEvaluation.Evaluate(info, [11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 13, null, _upToDateQe);

        Assert.Equal(TcbStatus.ConfigurationAndSWHardeningNeeded, verdict.Status);
        Assert.Equal(["INTEL-SA-00289", "INTEL-SA-00615"], verdict.Advisories);
        Assert.Equal(Vectors.Utc("2024-03-13T00:00:00Z"), verdict.TcbDate);
    }

    [Fact]
    public void The_tdx_vector_has_no_matching_level()
    {
        var info = TcbInfo.Parse(TdxCollateral().TcbInfo);

        var (sgx, tdx) = TcbEvaluation.Match(info.Levels, [3, 3, 2, 2, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0], 11, [3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

        Assert.Null(sgx);
        Assert.Null(tdx);
    }

    [Fact]
    public void Components_are_compared_one_by_one_not_as_a_number()
    {
        var levels = new[] { Level([2, 1], 0, null, "UpToDate"), Level([1, 1], 0, null, "OutOfDate") };

        var (sgx, _) = TcbEvaluation.Match(levels, Pad([3, 0]), 0, null);

        Assert.Null(sgx);
    }

    [Fact]
    public void A_level_needing_a_higher_pce_svn_is_skipped()
    {
        var levels = new[] { Level([1], 5, null, "UpToDate"), Level([1], 4, null, "OutOfDate") };

        Assert.Equal("OutOfDate", TcbEvaluation.Match(levels, Pad([1]), 4, null).Sgx?.Status);
    }

    [Fact]
    public void Tdx_selection_keeps_the_first_sgx_match_and_looks_further_for_the_tdx_match()
    {
        var levels = new[] { Level([1], 0, Pad([5]), "UpToDate"), Level([1], 0, Pad([4]), "OutOfDate") };

        var (sgx, tdx) = TcbEvaluation.Match(levels, Pad([1]), 0, Pad([4]));

        Assert.Equal("UpToDate", sgx?.Status);
        Assert.Equal("OutOfDate", tdx?.Status);
    }

    [Fact]
    public void With_a_tdx_module_major_version_the_first_two_tdx_components_are_left_to_the_module_identity()
    {
        var levels = new[] { Level([1], 0, Pad([9, 9, 4]), "UpToDate") };

        Assert.NotNull(TcbEvaluation.Match(levels, Pad([1]), 0, Pad([1, 1, 4])).Tdx);
        Assert.Null(TcbEvaluation.Match(levels, Pad([1]), 0, Pad([1, 0, 4])).Tdx);
        Assert.Null(TcbEvaluation.Match(levels, Pad([1]), 0, Pad([1, 1, 3])).Tdx);
    }

    [Theory]
    [InlineData(TcbStatus.UpToDate, TcbStatus.OutOfDate, TcbStatus.OutOfDate)]
    [InlineData(TcbStatus.SWHardeningNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDate)]
    [InlineData(TcbStatus.ConfigurationNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.ConfigurationAndSWHardeningNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.OutOfDateConfigurationNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.ConfigurationNeeded, TcbStatus.UpToDate, TcbStatus.ConfigurationNeeded)]
    [InlineData(TcbStatus.UpToDate, TcbStatus.Revoked, TcbStatus.Revoked)]
    public void Identity_status_lowers_the_platform_status_as_intels_qvl_does(TcbStatus platform, TcbStatus identity, TcbStatus expected)
    {
        Assert.Equal(expected, IntelTcbStatus.Converge(platform, identity));
    }

    [Fact]
    public void An_unknown_status_text_rejects_the_tcb()
    {
        var info = Info(Level([1], 0, null, "Splendid"));

        var e = Assert.Throws<AttestationException>(() => TcbEvaluation.Evaluate(info, Pad([1]), 0, null, _upToDateQe));

        Assert.Equal(AttestationFailureReason.TcbRejected, e.Reason);
        Assert.Contains("Splendid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_matching_level_is_rejected_with_the_platforms_tcb_in_the_message()
    {
        var info = Info(Level([2], 0, null, "UpToDate"));

        var e = Assert.Throws<AttestationException>(() => TcbEvaluation.Evaluate(info, Pad([1]), 7, null, _upToDateQe));

        Assert.Equal(AttestationFailureReason.TcbRejected, e.Reason);
        Assert.StartsWith("no matching TCB level", e.Message, StringComparison.Ordinal);
        Assert.Contains("PCESVN 7", e.Message, StringComparison.Ordinal);
    }

    private static TcbInfo Info(params TcbLevel[] levels) => new()
    {
        Id = "SGX",
        Version = 3,
        Window = new ValidityWindow(DateTimeOffset.MinValue, DateTimeOffset.MaxValue),
        Fmspc = new byte[6],
        PceId = new byte[2],
        Levels = levels,
    };

    private static TcbLevel Level(byte[] sgx, ushort pceSvn, byte[]? tdx, string status) =>
        new(Pad(sgx), pceSvn, tdx, Vectors.Utc("2024-01-01T00:00:00Z"), status, []);

    private static byte[] Pad(byte[] prefix) => [.. prefix, .. new byte[16 - prefix.Length]];
}
