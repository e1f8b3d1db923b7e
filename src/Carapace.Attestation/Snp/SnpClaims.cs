namespace Carapace.Attestation.Snp;

/// <summary>The claims of a verified SEV-SNP report, named after the ABI fields in camel case, in report order.</summary>
internal static class SnpClaims
{
    public static IReadOnlyList<Claim> Of(SnpReport report, string product)
    {
        var claims = new List<Claim>
        {
            Claim.Of("product", product),
            Claim.Of("version", report.Version),
            Claim.Of("guestSvn", report.GuestSvn),
            Claim.Of("policy", report.Policy),
            Claim.Of("debug", report.Debug ? 1UL : 0UL),
            Claim.Of("familyId", report.FamilyId.Span),
            Claim.Of("imageId", report.ImageId.Span),
            Claim.Of("vmpl", report.Vmpl),
            Claim.Of("currentTcb", report.CurrentTcb.ToBytes()),
            Claim.Of("platformInfo", report.PlatformInfo),
            Claim.Of("signerInfo", report.SignerInfo),
            Claim.Of("reportData", report.ReportData.Span),
            Claim.Of("measurement", report.Measurement.Span),
            Claim.Of("hostData", report.HostData.Span),
            Claim.Of("idKeyDigest", report.IdKeyDigest.Span),
            Claim.Of("authorKeyDigest", report.AuthorKeyDigest.Span),
            Claim.Of("reportId", report.ReportId.Span),
            Claim.Of("reportIdMa", report.ReportIdMa.Span),
            Claim.Of("reportedTcb", report.ReportedTcb.ToBytes()),
        };

        if (report.CpuidFamilyId is { } family && report.CpuidModelId is { } model && report.CpuidStepping is { } stepping)
        {
            claims.Add(Claim.Of("cpuidFamId", family));
            claims.Add(Claim.Of("cpuidModId", model));
            claims.Add(Claim.Of("cpuidStep", stepping));
        }

        claims.Add(Claim.Of("chipId", report.ChipId.Span));
        claims.Add(Claim.Of("committedTcb", report.CommittedTcb.ToBytes()));
        claims.Add(Claim.Of("currentFirmware", report.CurrentFirmware.ToString(3)));
        claims.Add(Claim.Of("committedFirmware", report.CommittedFirmware.ToString(3)));
        claims.Add(Claim.Of("launchTcb", report.LaunchTcb.ToBytes()));
        if (report.LaunchMitigationVector is { } launchMitigations && report.CurrentMitigationVector is { } currentMitigations)
        {
            claims.Add(Claim.Of("launchMitVector", launchMitigations));
            claims.Add(Claim.Of("currentMitVector", currentMitigations));
        }

        return claims;
    }
}
