using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Audit;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Release;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Release;

/// <summary>The client keys of a chain: what the service derives, the answer's wire format, and what a reader refuses.</summary>
public sealed class ChainKeysTests : IDisposable
{
    private const string Golden =
        """{"namespace":"acme","chain":"pipeline","steps":2,"policyVersion":7,"edges":["""
        + """{"from":0,"to":1,"key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="},"""
        + """{"from":2,"to":3,"key":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="},"""
        + """{"from":1,"to":0,"key":"AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="},"""
        + """{"from":2,"to":0,"key":"BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="}]}""";

    private readonly KmsFixture _kms = new();

    public ChainKeysTests()
    {
        var policy = _kms.Owners.Build();
        _kms.Service.SetPolicy(_kms.Owners.Sign(policy with { Clients = [_kms.Owners.Principal("web")] }, "alice"));
        _kms.Service.PutSecret("acme", "db-password", "hunter2"u8);
    }

    public void Dispose() => _kms.Dispose();

    private static ChainKeys Fixed(string chain = "pipeline") => new("acme", chain, 2, 7,
    [
        EdgeKey.FromBytes(Attest.Bytes(32, 1), chain, 0, 1),
        EdgeKey.FromBytes(Attest.Bytes(32, 2), chain, 2, 3),
        EdgeKey.FromBytes(Attest.Bytes(32, 3), chain, 1, 0),
        EdgeKey.FromBytes(Attest.Bytes(32, 4), chain, 2, 0),
    ]);

    [Fact]
    public void The_answer_format_is_fixed()
    {
        using var keys = Fixed();

        var json = ChainKeysCodec.Encode(keys);

        Assert.Equal(Golden, Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void An_answer_survives_decoding_and_every_truncation_is_refused()
    {
        using var original = Fixed();
        var json = Encoding.UTF8.GetBytes(Golden);

        using (var decoded = ChainKeysCodec.Decode(json))
        {
            Assert.Equal(original.ToString(), decoded.ToString());
            Assert.Equal((original.Entry.Id, original.Exit.Id, original.Log(1).Id, original.Log(2).Id),
                (decoded.Entry.Id, decoded.Exit.Id, decoded.Log(1).Id, decoded.Log(2).Id));
        }

        for (var length = 0; length < json.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => ChainKeysCodec.Decode(json.AsSpan(0, length)));
        }
    }

    [Theory]
    [InlineData("\"steps\":2", "\"steps\":3")]
    [InlineData("\"steps\":2", "\"steps\":0")]
    [InlineData("{\"from\":2,\"to\":0,", "{\"from\":1,\"to\":2,")]
    [InlineData("{\"from\":2,\"to\":0,", "{\"from\":1,\"to\":0,")]
    [InlineData("{\"from\":2,\"to\":0,", "{\"from\":-1,\"to\":0,")]
    [InlineData("\"policyVersion\":7", "\"policyVersion\":7,\"extra\":1")]
    [InlineData("\"chain\":\"pipeline\"", "\"chain\":\"pipeline\",\"chain\":\"pipeline\"")]
    [InlineData("\"chain\":\"pipeline\",", "")]
    [InlineData("\"key\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"", "\"key\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==\"")]
    [InlineData("\"key\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"", "\"key\":\"not base64\"")]
    [InlineData("]}", "]}{}")]
    public void An_answer_with_other_fields_or_edges_is_refused(string from, string to)
    {
        var tampered = Encoding.UTF8.GetBytes(ReplaceFirst(Golden, from, to));

        Assert.Throws<InvalidDataException>(() => ChainKeysCodec.Decode(tampered));
    }

    [Fact]
    public void Keys_need_exactly_the_client_edges_of_their_chain()
    {
        var entry = EdgeKey.FromBytes(Attest.Bytes(32, 1), "c", 0, 1);
        var exit = EdgeKey.FromBytes(Attest.Bytes(32, 2), "c", 1, 2);
        var log = EdgeKey.FromBytes(Attest.Bytes(32, 3), "c", 1, 0);
        var middle = EdgeKey.FromBytes(Attest.Bytes(32, 4), "c", 1, 1);
        var otherChain = EdgeKey.FromBytes(Attest.Bytes(32, 5), "d", 1, 0);

        Assert.Throws<ArgumentException>(() => new ChainKeys("acme", "c", 1, 1, [entry, exit]));
        Assert.Throws<ArgumentException>(() => new ChainKeys("acme", "c", 1, 1, [entry, exit, middle]));
        Assert.Throws<ArgumentException>(() => new ChainKeys("acme", "c", 1, 1, [entry, exit, otherChain]));
        Assert.Throws<ArgumentException>(() => new ChainKeys("acme", "c", 1, 1, [entry, entry, log]));
        using var keys = new ChainKeys("acme", "c", 1, 1, [log, exit, entry]);
        Assert.Same(entry, keys.Entry);
        Assert.Same(exit, keys.Exit);
        Assert.Same(log, keys.Log(1));
    }

    [Fact]
    public void The_service_derives_the_edges_the_enclaves_get_and_audits_them()
    {
        using var keys = _kms.Service.ClientKeys.Release("acme", "pipeline", "web");
        using var f = _kms.Service.Releases.Decide("acme", "f", Attest.Sgx(Convert.FromHexString(Policies.SgxHash)));

        Assert.Equal(f.Edge("pipeline", 0, 1)!.Id, keys.Entry.Id);
        Assert.Equal(f.Edge("pipeline", 1, 0)!.Id, keys.Log(1).Id);
        Assert.Equal([(0, 1), (2, 3), (1, 0), (2, 0)], keys.Edges.Select(k => (k.FromStep, k.ToStep)));
        var record = _kms.Service.Audit.Read().Single(r => r.Kind == AuditKind.ClientKeysReleased);
        Assert.Equal(("acme", "pipeline"), (record.Namespace, record.Subject));
    }

    [Fact]
    public void The_service_denies_and_audits_an_unknown_namespace_client_or_chain()
    {
        var reasons = new[]
        {
            Assert.Throws<KmsDeniedException>(() => _kms.Service.ClientKeys.Release("nobody", "pipeline", "web")).Reason,
            Assert.Throws<KmsDeniedException>(() => _kms.Service.ClientKeys.Release("acme", "pipeline", "alice")).Reason,
            Assert.Throws<KmsDeniedException>(() => _kms.Service.ClientKeys.Release("acme", "nope", "web")).Reason,
        };

        Assert.Equal([KmsDenialReason.UnknownNamespace, KmsDenialReason.UnknownClient, KmsDenialReason.UnknownChain], reasons);
        Assert.Equal(3, _kms.Service.Audit.Read().Count(r => r.Kind == AuditKind.ClientKeysDenied));
    }

    [Fact]
    public void A_policy_chain_is_found_by_name()
    {
        var policy = _kms.Owners.Build();

        Assert.Equal(["f", "g"], policy.FindChain("pipeline")!.Steps);
        Assert.Null(policy.FindChain("nope"));
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' is not in the golden answer");
        return string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length));
    }
}
