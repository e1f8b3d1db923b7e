using System.Net;
using System.Text;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Server;

/// <summary>Signed policies set and read through the real server: k-of-n approvals, rollback, malformed documents.</summary>
public sealed class PolicyOverHttpTests : IAsyncLifetime
{
    private ServerFixture _kms = null!;

    public async Task InitializeAsync() => _kms = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _kms.DisposeAsync();

    private KmsPolicy Board(ulong version) => _kms.Owners.Build(version: version, owners: ["alice", "bob", "carol"], approvals: 2);

    [Fact]
    public async Task A_two_of_three_policy_is_set_read_back_and_updated_only_with_two_signatures()
    {
        var first = await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(Board(1), "alice", "bob"));

        Assert.Equal(1UL, first.Version);
        Assert.Equal(["alice", "bob"], first.ApprovedBy);
        var stored = await _kms.Client.GetPolicyAsync("acme");
        Assert.Equal(Board(1).ToJson(), stored!.PolicyText);
        Assert.Equal(["alice", "bob"], stored.Signatures.Select(s => s.Owner));

        var lonely = await Assert.ThrowsAsync<PolicyException>(() => _kms.Client.SetPolicyAsync(_kms.Owners.Sign(Board(2), "carol")));
        Assert.Equal(PolicyRejection.InsufficientApprovals, lonely.Reason);
        Assert.Contains(lonely.Errors, e => e.Contains("requires 2 valid signature(s)", StringComparison.Ordinal));

        var second = await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(Board(2), "carol", "bob"));
        Assert.Equal(2UL, second.Version);
        Assert.Equal(1UL, second.PreviousVersion);
    }

    [Fact]
    public async Task An_older_version_is_refused_as_a_rollback()
    {
        await _kms.Client.SetPolicyAsync(_kms.Owners.Sign(Board(5), "alice", "bob"));

        var rollback = await Assert.ThrowsAsync<PolicyException>(() => _kms.Client.SetPolicyAsync(_kms.Owners.Sign(Board(4), "alice", "bob")));

        Assert.Equal(PolicyRejection.Rollback, rollback.Reason);
        Assert.Equal(5UL, Assert.Single(_kms.Server.Service.Policies.History("acme")).Policy.Version);
    }

    [Fact]
    public async Task Every_status_code_of_the_policy_endpoint()
    {
        using var http = _kms.RawClient();
        async Task<(HttpStatusCode, string)> Put(string ns, byte[] body)
        {
            using var response = await http.PutAsync($"v1/policies/{ns}", new ByteArrayContent(body));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (created, _) = await Put("acme", _kms.Owners.Sign(Board(1), "alice", "bob"));
        var (rollback, rollbackBody) = await Put("acme", _kms.Owners.Sign(Board(1), "alice", "bob"));
        var (approvals, approvalsBody) = await Put("acme", _kms.Owners.Sign(Board(2), "alice"));
        var (malformed, malformedBody) = await Put("acme", Encoding.UTF8.GetBytes("{\"policy\": 3}"));
        var (mismatch, mismatchBody) = await Put("other", _kms.Owners.Sign(Board(3), "alice", "bob"));
        using var missing = await http.GetAsync("v1/policies/nobody");

        Assert.Equal(HttpStatusCode.OK, created);
        Assert.Equal(HttpStatusCode.Conflict, rollback);
        Assert.Contains("\"reason\":\"Rollback\"", rollbackBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, approvals);
        Assert.Contains("\"reason\":\"InsufficientApprovals\"", approvalsBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed);
        Assert.Contains("\"errors\":[", malformedBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, mismatch);
        Assert.Contains("NamespaceMismatch", mismatchBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Null(await _kms.Client.GetPolicyAsync("nobody"));
    }

    [Fact]
    public async Task A_body_over_one_MiB_is_refused_with_413()
    {
        using var http = _kms.RawClient();

        // With 100-continue the client waits for the verdict before it sends the body, so the 413 cannot race the upload.
        http.DefaultRequestHeaders.ExpectContinue = true;

        using var response = await http.PutAsync("v1/policies/acme", new ByteArrayContent(new byte[(1 << 20) + 1]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_body_over_one_MiB_without_a_length_is_refused_with_413()
    {
        using var http = _kms.RawClient();
        var content = new StreamContent(new NoLengthStream(new byte[(1 << 20) + 100]));

        using var response = await http.PutAsync("v1/policies/acme", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
