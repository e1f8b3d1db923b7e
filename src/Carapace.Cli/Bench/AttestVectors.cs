using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation;
using Carapace.Attestation.Simulation;

namespace Carapace.Cli.Bench;

/// <summary>
/// The public attestation vectors embedded in the CLI (Bench/Vectors, sources in its README.md), each with the
/// verification time and collateral under which it verifies, plus simulation evidence made in memory.
/// </summary>
internal static class AttestVectors
{
    /// <summary>One thing to verify: a label for the table, the kind, the bytes and the options that make it verify.</summary>
    public sealed record Case(string Name, EvidenceKind Kind, ReadOnlyMemory<byte> Evidence, VerificationOptions Options);

    /// <summary>Every case, in table order; the simulation case trusts <paramref name="simulation"/>'s key.</summary>
    public static async Task<IReadOnlyList<Case>> LoadAsync(SimulatedQuotingService simulation)
    {
        var sgx = Bytes("phala_sgx_quote_v3.bin");
        var sgxAt = Utc("2025-07-01T00:00:00Z");
        var vcek = X509CertificateLoader.LoadCertificate(Bytes("gosev_vcek_milan.der"));
        var sim = await new SimulatedEvidenceIssuer(simulation, new byte[SimulatedEvidenceIssuer.MeasurementSize])
            .IssueAsync(ReportData.Bind("bench key"u8, "bench nonce"u8)).ConfigureAwait(false);
        return
        [
            new("sgx (quote only)", EvidenceKind.Sgx, sgx, new VerificationOptions { At = sgxAt }),
            new("sgx + collateral", EvidenceKind.Sgx, sgx, new VerificationOptions
            {
                At = sgxAt,
                DcapCollateral = DcapCollateral.Parse(Bytes("phala_sgx_quote_v3.collateral.json")),
            }),
            new("tdx (quote only)", EvidenceKind.Tdx, Bytes("gotdx_tdx_quote_v4_SPR_E4.bin"), new VerificationOptions { At = Utc("2023-07-01T01:00:00Z") }),
            new("snp + vcek", EvidenceKind.SevSnp, Bytes("gosev_snp_report_milan.bin"), new VerificationOptions
            {
                At = Utc("2024-01-15T00:00:00Z"),
                SnpCollateral = new SnpCollateral(vcek),
            }),
            new("nitro", EvidenceKind.Nitro, Bytes("evervault_nitro_doc_2022-10-13.cbor"), new VerificationOptions { At = Utc("2022-10-13T09:30:00Z") }),
            new("ratls (sgx inside)", EvidenceKind.RaTls, Bytes("ccc_gramine_ratls_cert.pem"), new VerificationOptions { At = Utc("2024-01-15T00:00:00Z") }),
            new("sim", EvidenceKind.Simulation, sim.Bytes, new VerificationOptions { SimulationQuotingKeys = [simulation.PublicKey] }),
        ];
    }

    private static byte[] Bytes(string name)
    {
        using var stream = typeof(AttestVectors).Assembly.GetManifestResourceStream("Carapace.Cli.Bench.Vectors." + name)
            ?? throw new InvalidOperationException($"the attestation vector {name} is missing from the carapace build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static DateTimeOffset Utc(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
