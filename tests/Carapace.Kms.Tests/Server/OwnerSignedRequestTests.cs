using System.Globalization;
using System.Net;
using System.Text;
using Carapace.Kms.Api;
using Carapace.Kms.Audit;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Kms.Tests.Server;

/// <summary>
/// Secret listings and audit reads need a request signed by an owner of the namespace's current policy; secret writes
/// (k of n owner signatures in a document) are in <see cref="SecretWritesOverHttpTests"/>.
/// </summary>
public sealed class OwnerSignedRequestTests : IAsyncLifetime
{
    private ServerFixture _kms = null!;

    public async Task InitializeAsync()
    {
        _kms = await ServerFixture.StartAsync();
        await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(_kms.Owners.Build(owners: ["alice", "bob"]), "alice"));
    }

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private static byte[] Value => Encoding.UTF8.GetBytes("s3cr3t");

    private async Task<KmsRequestException> RefusedAsync(Func<Task> put) => await Assert.ThrowsAsync<KmsRequestException>(put);

    [Fact]
    public async Task Where_one_approval_is_enough_an_owner_stores_a_secret_alone_and_each_put_is_a_new_version()
    {
        var first = await _kms.Client.PutSecretAsync("acme", "db-password", Value, _kms.Owners.Owner("bob"), "bob");
        var second = await _kms.Client.PutSecretAsync("acme", "db-password", Value, _kms.Owners.Owner("alice"), "alice");

        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
    }

    [Fact]
    public async Task A_request_without_signature_headers_is_401()
    {
        using var http = _kms.RawClient();

        using var response = await http.GetAsync("v1/secrets/acme");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("MissingSignature", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signature_by_another_key_is_401()
    {
        using var mallory = OwnerKey.Generate();

        var refused = await RefusedAsync(() => _kms.Client.ListSecretsAsync("acme", mallory, "alice"));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("BadSignature", refused.Reason);
        Assert.StartsWith("the signature of owner 'alice' does not verify", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signer_who_is_not_an_owner_is_403()
    {
        var refused = await RefusedAsync(() => _kms.Client.ListSecretsAsync("acme", _kms.Owners.Owner("carol"), "carol"));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("NotAnOwner", refused.Reason);
    }

    [Theory]
    [InlineData(-301, HttpStatusCode.Unauthorized)]
    [InlineData(301, HttpStatusCode.Unauthorized)]
    [InlineData(-290, HttpStatusCode.OK)]
    public async Task A_signature_more_than_five_minutes_off_is_401(int seconds, HttpStatusCode expected)
    {
        using var http = _kms.RawClient();
        var time = DateTimeOffset.UtcNow.AddSeconds(seconds).ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/secrets/acme");
        request.Headers.Add(OwnerRequestSignature.OwnerHeader, "alice");
        request.Headers.Add(OwnerRequestSignature.TimeHeader, time.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(OwnerRequestSignature.SignatureHeader,
            OwnerRequestSignature.Sign(_kms.Owners.Owner("alice"), "GET", "/v1/secrets/acme", time, []));

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.OK)
        {
            Assert.Contains("StaleSignature", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_client_whose_clock_is_far_off_refuses_the_KMS_certificate_before_signing_anything()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
        using var skewed = new KmsClient(_kms.Server.Endpoint, new KmsServerTrust
        {
            AllowSimulation = true,
            SimulationQuotingKeys = [_kms.Server.QuotingKey],
            TimeProvider = clock,
        });

        var refused = await Assert.ThrowsAsync<KmsTrustException>(() => skewed.PutSecretAsync("acme", "db-password", Value, _kms.Owners.Owner("alice"), "alice"));

        Assert.Contains("NotYetValid", refused.Message, StringComparison.Ordinal);
        Assert.All(_kms.Server.Service.ListSecrets("acme"), e => Assert.Null(e.Version));
    }

    [Fact]
    public async Task A_signature_for_another_path_does_not_verify()
    {
        using var http = _kms.RawClient();
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = OwnerRequestSignature.Sign(_kms.Owners.Owner("alice"), "GET", "/v1/secrets/acme", time, []);
        async Task<HttpStatusCode> Send(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add(OwnerRequestSignature.OwnerHeader, "alice");
            request.Headers.Add(OwnerRequestSignature.TimeHeader, time.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(OwnerRequestSignature.SignatureHeader, signature);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Send("v1/audit?namespace=acme"));
        Assert.Equal(HttpStatusCode.OK, await Send("v1/secrets/acme"));
    }

    [Fact]
    public async Task Audit_reads_need_an_owner_signature_too()
    {
        using var http = _kms.RawClient();

        using var unsigned = await http.GetAsync("v1/audit?namespace=acme");
        using var unsignedVerify = await http.GetAsync("v1/audit/verify?namespace=acme");
        var stranger = await RefusedAsync(() => _kms.Client.GetAuditAsync("acme", _kms.Owners.Owner("carol"), "carol"));

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsignedVerify.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
    }

    [Fact]
    public async Task Names_with_a_slash_travel_escaped_and_are_signed_as_sent()
    {
        var policy = _kms.Owners.Build(ns: "team/blue") with
        {
            Secrets = [new PolicySecret { Name = "db/password" }],
            Functions = [new PolicyFunction { Name = "f", Measurements = [new MeasurementRule { Kind = Attestation.EvidenceKind.Sgx, Hash = Policies.SgxHash }], Secrets = ["db/password"] }],
            Chains = [],
        };
        await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(policy, "alice"));

        var info = await _kms.Client.PutSecretAsync("team/blue", "db/password", Value, _kms.Owners.Owner("alice"), "alice");

        Assert.Equal(("team/blue", "db/password", 1L), (info.Namespace, info.Name, info.Version));
        Assert.Equal("team/blue", KmsPolicy.Parse((await _kms.Client.GetPolicyAsync("team/blue"))!.PolicyText).Namespace);
        Assert.Equal(1, (await _kms.Client.GetAuditAsync("team/blue", _kms.Owners.Owner("alice"), "alice")).Count(r => r.Kind == AuditKind.SecretPut));
    }
}
