using System.Text.Json.Nodes;
using Carapace.Attestation;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Tests.Support;

namespace Carapace.Kms.Client.Tests.Policy;

public sealed class PolicyParseTests : IDisposable
{
    private readonly Policies _owners = new();

    public void Dispose() => _owners.Dispose();

    private JsonObject Valid() => JsonNode.Parse(_owners.Build().ToJson())!.AsObject();

    private static PolicyException Rejects(string json) => Assert.Throws<PolicyException>(() => KmsPolicy.Parse(json));

    private static PolicyException Rejects(JsonObject json) => Rejects(json.ToJsonString());

    [Fact]
    public void Parse_reads_every_field_of_a_valid_policy()
    {
        var key = _owners.Owner("alice").PublicKeyBase64;
        var json = $$"""
            {
              "namespace": "acme", "version": 3, "approvals": 1, "allowSimulation": true,
              "owners": [{"id": "alice", "publicKey": "{{key}}"}],
              "functions": [
                {"name": "f", "allowDebug": true, "secrets": ["s"], "measurements": [
                  {"kind": "sim", "hash": "{{Policies.SimHash}}"},
                  {"kind": "sgx", "signer": "{{Policies.SgxSigner}}", "productId": 65535, "minSvn": 4294967295},
                  {"kind": "snp", "hash": "{{Attest.Hex(48, 1)}}"},
                  {"kind": "nitro", "hash": "{{Attest.Hex(48, 2)}}"}]}],
              "secrets": [{"name": "s", "description": "d"}],
              "chains": [{"name": "c", "steps": ["f", "f"]}],
              "clients": [{"id": "bob", "publicKey": "{{_owners.Owner("bob").PublicKeyBase64}}"}]
            }
            """;

        var policy = KmsPolicy.Parse(json);

        Assert.Equal("acme", policy.Namespace);
        Assert.Equal(3UL, policy.Version);
        Assert.True(policy.AllowSimulation);
        var f = Assert.Single(policy.Functions);
        Assert.True(f.AllowDebug);
        Assert.Equal(["s"], f.Secrets);
        Assert.Equal([EvidenceKind.Simulation, EvidenceKind.Sgx, EvidenceKind.SevSnp, EvidenceKind.Nitro], f.Measurements.Select(m => m.Kind));
        Assert.Equal((ushort)65535, f.Measurements[1].ProductId);
        Assert.Equal(uint.MaxValue, f.Measurements[1].MinSvn);
        Assert.Equal("d", policy.Secrets[0].Description);
        Assert.Equal(["f", "f"], policy.Chains[0].Steps);
        Assert.Equal("bob", policy.FindClient(_owners.Owner("bob").PublicKey.Span));
        Assert.Null(policy.FindClient(_owners.Owner("alice").PublicKey.Span));
    }

    [Fact]
    public void Optional_fields_default_to_deny()
    {
        var key = _owners.Owner("alice").PublicKeyBase64;
        var policy = KmsPolicy.Parse($$"""
            {"namespace": "n", "version": 1, "approvals": 1, "owners": [{"id": "alice", "publicKey": "{{key}}"}],
             "functions": [{"name": "f", "measurements": [{"kind": "sgx", "hash": "{{Policies.SgxHash}}"}]}]}
            """);

        Assert.False(policy.AllowSimulation);
        Assert.False(policy.Functions[0].AllowDebug);
        Assert.Empty(policy.Functions[0].Secrets);
        Assert.Empty(policy.Secrets);
        Assert.Empty(policy.Chains);
        Assert.Empty(policy.Clients);
    }

    [Fact]
    public void ToJson_round_trips()
    {
        var policy = _owners.Build(allowSimulation: true, allowDebug: true);

        var again = KmsPolicy.Parse(policy.ToJson());

        Assert.Equal(policy.ToJson(), again.ToJson());
        Assert.Equal(policy.Functions[1].Measurements, again.Functions[1].Measurements);
    }

    [Fact]
    public void Parse_rejects_an_unknown_field_naming_its_path()
    {
        var json = Valid();
        json["functions"]![0]!.AsObject()["allowEverything"] = true;

        var e = Rejects(json);

        Assert.Equal(PolicyRejection.Malformed, e.Reason);
        Assert.Contains(e.Errors, m => m.StartsWith("$.functions[0]: unknown field 'allowEverything'", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_rejects_a_duplicate_field()
    {
        var json = Valid().ToJsonString().Replace("\"version\":1", "\"version\":1,\"version\":2", StringComparison.Ordinal);

        var e = Rejects(json);

        Assert.Equal(PolicyRejection.Malformed, e.Reason);
        Assert.Contains("$: duplicate field 'version'", e.Errors);
    }

    [Fact]
    public void Parse_rejects_a_duplicate_field_in_a_nested_object()
    {
        var json = Valid().ToJsonString().Replace("\"allowDebug\":false", "\"allowDebug\":false,\"allowDebug\":true", StringComparison.Ordinal);

        Assert.Contains("$.functions[0]: duplicate field 'allowDebug'", Rejects(json).Errors);
    }

    [Theory]
    [InlineData("version", "\"1\"", "$.version: must be an integer from 0 to 18446744073709551615")]
    [InlineData("version", "-1", "$.version: must be an integer from 0 to 18446744073709551615")]
    [InlineData("version", "1.5", "$.version: must be an integer from 0 to 18446744073709551615")]
    [InlineData("allowSimulation", "\"yes\"", "$.allowSimulation: must be true or false, not a string")]
    [InlineData("owners", "{}", "$.owners: must be an array, not an object")]
    [InlineData("namespace", "7", "$.namespace: must be a string, not a number")]
    [InlineData("namespace", "\"\"", "$.namespace: must not be empty")]
    public void Parse_rejects_a_wrong_type(string field, string value, string error)
    {
        var json = Valid();
        json[field] = JsonNode.Parse(value);

        Assert.Contains(error, Rejects(json).Errors);
    }

    [Theory]
    [InlineData("namespace")]
    [InlineData("version")]
    [InlineData("owners")]
    [InlineData("approvals")]
    [InlineData("functions")]
    public void Parse_rejects_a_missing_required_field(string field)
    {
        var json = Valid();
        json.Remove(field);

        Assert.Contains($"$.{field}: required field is missing", Rejects(json).Errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"namespace\": \"n\",}")]
    [InlineData("{} {}")]
    public void Parse_rejects_text_that_is_not_one_json_object(string text)
    {
        var e = Rejects(text);

        Assert.Equal(PolicyRejection.Malformed, e.Reason);
        Assert.StartsWith("$", Assert.Single(e.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"namespace\": \"\\ud800\"}")]
    [InlineData("{\"\\udc00\": 1}")]
    public void Parse_rejects_escaped_lone_surrogates(string json) =>
        Assert.Equal(PolicyRejection.Malformed, Rejects(json).Reason);

    [Fact]
    public void Parse_rejects_a_text_with_a_lone_surrogate() =>
        Assert.Equal(PolicyRejection.Malformed, Rejects("{\"namespace\": \"\ud800\"}").Reason);

    [Fact]
    public void Parse_reports_every_structural_problem_at_once()
    {
        var json = Valid();
        json["extra"] = 1;
        json.Remove("approvals");
        json["functions"]![0]!["measurements"]![0]!["kind"] = 5;
        json["chains"]![0]!["steps"] = JsonNode.Parse("[\"f\", 3]");

        var e = Rejects(json);

        Assert.Equal(4, e.Errors.Count);
        Assert.Contains("4 problems", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_needs_a_hash_or_a_signer()
    {
        var json = Valid();
        json["functions"]![0]!["measurements"] = JsonNode.Parse("[{\"kind\": \"sgx\"}]");

        Assert.Contains("$.functions[0].measurements[0]: a rule needs exactly one of 'hash', 'workload', or 'signer' with 'productId' and 'minSvn'", Rejects(json).Errors);
    }

    [Fact]
    public void A_rule_cannot_have_both_a_hash_and_a_signer()
    {
        var json = Valid();
        json["functions"]![0]!["measurements"]![0]!["signer"] = Policies.SgxSigner;

        Assert.Contains("$.functions[0].measurements[0].hash: exactly one of 'hash', 'workload', or 'signer' with 'productId' and 'minSvn'", Rejects(json).Errors);
    }

    [Fact]
    public void A_signer_rule_needs_product_id_and_min_svn()
    {
        var json = Valid();
        json["functions"]![1]!["measurements"]![0]!.AsObject().Remove("minSvn");

        Assert.Contains("$.functions[1].measurements[0].minSvn: required field is missing", Rejects(json).Errors);
    }

    [Theory]
    [InlineData("ratls")]
    [InlineData("SGX")]
    [InlineData("tpm")]
    public void Parse_rejects_a_kind_that_is_not_sim_sgx_tdx_snp_or_nitro(string kind)
    {
        var json = Valid();
        json["functions"]![0]!["measurements"]![0]!["kind"] = kind;

        Assert.Contains(Rejects(json).Errors, m => m.StartsWith($"$.functions[0].measurements[0].kind: '{kind}' is not one of", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_rejects_a_product_id_above_65535()
    {
        var json = Valid();
        json["functions"]![1]!["measurements"]![0]!["productId"] = 65536;

        Assert.Contains("$.functions[1].measurements[0].productId: must be an integer from 0 to 65535", Rejects(json).Errors);
    }
}
