using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Cli.Attestation;

namespace Carapace.Cli.Tests.Attestation;

/// <summary>
/// <c>--collateral DIR</c>: raw Intel PCS responses give exactly the result of the equivalent collateral JSON. The folder
/// is built from go-tdx-guest's PCS responses and CRLs plus the issuer chains kept in the derived collateral JSON.
/// </summary>
public sealed class PcsCollateralFolderTests : AttestFixture
{
    private const string TdxQuote = "gotdx_tdx_quote_v4_SPR_E4.bin";
    private const string TdxCollateral = "gotdx_tdx_quote_v4_SPR_E4.collateral.json";

    [Fact]
    public async Task A_folder_of_pcs_responses_gives_the_same_result_as_the_collateral_json()
    {
        var folder = PcsFolder(urlEncodeQeChain: true);

        var fromJson = await Run("attest", "verify", Vector(TdxQuote), "--collateral", Vector(TdxCollateral), "--at", "2023-07-01T01:00:00Z", "--json");
        var fromFolder = await Run("attest", "verify", Vector(TdxQuote), "--collateral", folder, "--at", "2023-07-01T01:00:00Z", "--json");

        Assert.Equal(1, fromJson.ExitCode);
        Assert.Equal(1, fromFolder.ExitCode);
        Assert.Equal("TcbRejected", Json(fromFolder).GetProperty("failure").GetProperty("reason").GetString());
        Assert.StartsWith("no matching TCB level", Json(fromFolder).GetProperty("failure").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(fromJson.StdoutText, fromFolder.StdoutText);
        Assert.Equal(fromJson.Stderr, fromFolder.Stderr);
    }

    [Fact]
    public async Task The_folder_collateral_is_checked_for_time_like_the_json()
    {
        var folder = PcsFolder(urlEncodeQeChain: false);

        var fromFolder = await Run("attest", "verify", Vector(TdxQuote), "--collateral", folder, "--at", "2023-07-10T00:00:00Z");
        var fromJson = await Run("attest", "verify", Vector(TdxQuote), "--collateral", Vector(TdxCollateral), "--at", "2023-07-10T00:00:00Z");

        Assert.Equal(1, fromFolder.ExitCode);
        Assert.StartsWith("carapace: rejected (Expired): the PCK CRL expired", fromFolder.Stderr, StringComparison.Ordinal);
        Assert.Equal(fromJson.Stderr, fromFolder.Stderr);
    }

    [Fact]
    public async Task Reformatted_tcb_info_no_longer_matches_intels_signature()
    {
        var folder = PcsFolder(urlEncodeQeChain: false);
        var tcbInfo = Path.Combine(folder, "tcb_info.json");
        var text = File.ReadAllText(tcbInfo);
        Assert.Contains("\"version\":3", text, StringComparison.Ordinal);
        File.WriteAllText(tcbInfo, text.Replace("\"version\":3", "\"version\": 3", StringComparison.Ordinal));

        var result = await Run("attest", "verify", Vector(TdxQuote), "--collateral", folder, "--at", "2023-07-01T01:00:00Z");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("carapace: rejected (BadSignature): the TCB info signature does not verify", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_missing_file_is_named_in_one_usage_error()
    {
        var folder = PcsFolder(urlEncodeQeChain: false);
        File.Delete(Path.Combine(folder, "tcb_info_issuer_chain.pem"));
        File.Delete(Path.Combine(folder, "root_ca_crl.der"));

        var result = await Run("attest", "verify", Vector(TdxQuote), "--collateral", folder, "--at", "2023-07-01T01:00:00Z");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"carapace: the collateral folder {folder} lacks root_ca_crl.der|root_ca_crl.pem, tcb_info_issuer_chain.pem (", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("TCB-Info-Issuer-Chain", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_signed_body_is_cut_out_byte_for_byte_whatever_its_spacing_and_escapes()
    {
        const string Body = "{ \"id\" : \"TDX\",\n  \"note\":\"a\\u0041\\\"}\", \"nested\":{\"x\":[1, 2 ,{}]} }";
        var response = Encoding.UTF8.GetBytes("\uFEFF{ \"other\": {\"tcbInfo\": 1}, \"tcbInfo\" :" + Body + " ,\"signature\":\"0a0B\" }\n");

        var (text, signature) = PcsCollateralFolder.SignedBody(response, "tcbInfo", "tcb_info.json");

        Assert.Equal(Body, text);
        Assert.Equal(new byte[] { 0x0a, 0x0b }, signature);
    }

    [Theory]
    [InlineData("{\"tcbInfo\":{},\"signature\":\"00\"} trailing", "is not valid JSON")]
    [InlineData("{\"signature\":\"00\"}", "has no 'tcbInfo' object")]
    [InlineData("{\"tcbInfo\":{}}", "has no 'signature'")]
    [InlineData("{\"tcbInfo\":[],\"signature\":\"00\"}", "'tcbInfo' in tcb_info.json is not a JSON object")]
    [InlineData("{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"00\"}", "has 'tcbInfo' twice")]
    [InlineData("{\"tcbInfo\":{},\"signature\":\"zz\"}", "'signature' in tcb_info.json is not hex")]
    [InlineData("[]", "must be a JSON object")]
    public void Responses_that_are_not_pcs_bodies_are_malformed(string response, string message)
    {
        var e = Assert.Throws<AttestationException>(() => PcsCollateralFolder.SignedBody(Encoding.UTF8.GetBytes(response), "tcbInfo", "tcb_info.json"));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crls_are_read_as_der_pem_or_hex()
    {
        var der = File.ReadAllBytes(Vector("gotdx_root_ca_crl.der"));
        var pem = Encoding.ASCII.GetBytes(new string(System.Security.Cryptography.PemEncoding.Write("X509 CRL", der)) + "\n");
        var hex = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(der) + "\n");

        Assert.Equal(der, PcsCollateralFolder.Crl(der, "root_ca_crl"));
        Assert.Equal(der, PcsCollateralFolder.Crl(pem, "root_ca_crl"));
        Assert.Equal(der, PcsCollateralFolder.Crl(hex, "root_ca_crl"));
    }

    /// <summary>A folder laid out as 'attest verify --collateral DIR' expects, from the TDX vector's sources.</summary>
    private string PcsFolder(bool urlEncodeQeChain)
    {
        var folder = Dir.File("pcs");
        Directory.CreateDirectory(folder);
        File.Copy(Vector("gotdx_tcbinfo_response.json"), Path.Combine(folder, "tcb_info.json"));
        File.Copy(Vector("gotdx_qeidentity_response.json"), Path.Combine(folder, "qe_identity.json"));
        File.Copy(Vector("gotdx_pck_platform_crl.der"), Path.Combine(folder, "pck_crl.der"));
        File.Copy(Vector("gotdx_root_ca_crl.der"), Path.Combine(folder, "root_ca_crl.der"));
        using var collateral = JsonDocument.Parse(File.ReadAllBytes(Vector(TdxCollateral)));
        string Chain(string name) => collateral.RootElement.GetProperty(name).GetString()!;
        File.WriteAllText(Path.Combine(folder, "tcb_info_issuer_chain.pem"), Chain("tcb_info_issuer_chain"));
        var qeChain = Chain("qe_identity_issuer_chain");
        File.WriteAllText(Path.Combine(folder, "qe_identity_issuer_chain.pem"), urlEncodeQeChain ? Uri.EscapeDataString(qeChain) : qeChain);
        File.WriteAllText(Path.Combine(folder, "pck_crl_issuer_chain.pem"), Chain("pck_crl_issuer_chain"));
        return folder;
    }
}
