using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Envelope.Keys;

namespace Carapace.Cli.Tests.Kms;

/// <summary>
/// <c>carapace secret put/approve/submit/delete/list</c> against a real <c>carapace kms start</c> process, in a namespace
/// whose policy needs 2 of its 3 owners: one owner alone is refused, the offline request files carry the approvals.
/// </summary>
public sealed class SecretCommandsTests : KmsProcessFixture
{
    private const string Marker = "CLI-WRITE-MARKER-92d4e7b1";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var alice = await NewOwnerAsync("alice.key");
        var bob = await NewOwnerAsync("bob.key");
        var carol = await NewOwnerAsync("carol.key");
        var policy = WritePolicy("acme.json", version: 1, approvals: 2, alice, bob, carol);
        var node = JsonNode.Parse(File.ReadAllText(policy))!;
        node["secrets"]!.AsArray().Add(new JsonObject { ["name"] = "image-key.reader.00ff" });
        File.WriteAllText(policy, node.ToJsonString());
        var set = await Run("policy", "set", policy, "--sign", Dir.File("alice.key"), "--sign", Dir.File("bob.key"));
        Assert.True(set.ExitCode == 0, Describe(set));
        File.WriteAllText(Dir.File("pw.txt"), Marker);
    }

    [Fact]
    public async Task One_owner_alone_is_refused_and_two_owners_round_trip_through_an_offline_request_file()
    {
        var request = Dir.File("db-password.request");

        var alone = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"));
        var proposed = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"), "--out", request);
        var early = await Run("secret", "submit", request);
        // Bob approves without any KMS: this data directory has none, and every key names its owner.
        var approved = await Run("secret", "approve", request, "--sign", "bob=" + Dir.File("bob.key"), "--data-dir", Dir.File("no-kms"));
        var submitted = await Run("secret", "submit", request);
        var replayed = await Run("secret", "submit", request);

        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("carapace: a put of a secret of namespace 'acme' needs 2 of 3 owner approvals (policy v1) and 1 signed: add --out REQUEST",
            alone.Stderr, StringComparison.Ordinal);
        Assert.True(proposed.ExitCode == 0, Describe(proposed));
        Assert.Contains("signed by alice: 1 of the 2 approvals (of 3 owners) policy v1 of namespace 'acme' needs", proposed.Stderr, StringComparison.Ordinal);
        Assert.Contains($"next: other owners run 'carapace secret approve {request} --sign KEY'", proposed.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("carapace: refused (InsufficientApprovals): the secret write lacks the required owner approvals", early.Stderr, StringComparison.Ordinal);
        Assert.True(approved.ExitCode == 0, Describe(approved));
        Assert.Contains("approving: put secret 'db-password' of namespace 'acme' as write v1 (sealed value sha256 ", approved.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("SIMULATION KMS", approved.Stderr, StringComparison.Ordinal);
        Assert.True(submitted.ExitCode == 0, Describe(submitted));
        Assert.Equal("stored secret 'db-password' of namespace 'acme' as version 1, approved by alice, bob\n", submitted.StdoutText);
        Assert.Equal(1, replayed.ExitCode);
        Assert.Contains("carapace: refused (StaleVersion): ", replayed.Stderr, StringComparison.Ordinal);

        var signers = JsonDocument.Parse(File.ReadAllBytes(request)).RootElement.GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("owner").GetString());
        Assert.Equal(["alice", "bob"], signers);
        var audit = await Run("kms", "audit", "acme", "--sign", Dir.File("carol.key"), "--json");
        var kinds = JsonDocument.Parse(audit.Stdout).RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("kind").GetString());
        Assert.Equal(["PolicyUpdated", "SecretWriteRejected", "SecretPut", "SecretWriteRejected"], kinds);
        foreach (var text in new[] { File.ReadAllText(request), alone.Stderr, proposed.Stderr, approved.Stderr, submitted.StdoutText, replayed.Stderr, audit.StdoutText, ServerErrors })
        {
            Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Marker)), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_keys_at_once_replace_and_delete_and_the_list_never_shows_a_value()
    {
        var first = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"), "--sign", Dir.File("carol.key"));
        var second = await Run(Encoding.UTF8.GetBytes(Marker + "-2"), "secret", "put", "acme/db-password", "--from-file", "-",
            "--sign", Dir.File("bob.key"), "--sign", Dir.File("carol.key"));
        var list = await Run("secret", "list", "acme", "--sign", Dir.File("bob.key"));
        var deleteAlone = await Run("secret", "delete", "acme/db-password", "--sign", Dir.File("carol.key"));
        var proposal = await Run("secret", "delete", "acme/db-password", "--sign", Dir.File("carol.key"), "--out", Dir.File("delete.request"));
        // A bare key file: approve finds its owner among the owners of the current policy, in the KMS.
        var approve = await Run("secret", "approve", Dir.File("delete.request"), "--sign", Dir.File("alice.key"), "--out", Dir.File("delete.signed"));
        var delete = await Run("secret", "submit", Dir.File("delete.signed"));
        var json = await Run("secret", "list", "acme", "--sign", Dir.File("alice.key"), "--json");

        Assert.True(first.ExitCode == 0, Describe(first));
        Assert.Equal("stored secret 'db-password' of namespace 'acme' as version 1 (25 bytes), approved by alice, carol\n", first.StdoutText);
        Assert.Contains("as version 2", second.StdoutText, StringComparison.Ordinal);
        Assert.True(list.ExitCode == 0, Describe(list));
        Assert.Matches(@"db-password\s+2\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+2\s+yes\n", list.StdoutText);
        Assert.Matches(@"image-key.reader.00ff\s+-\s+-\s+0\s+yes\n", list.StdoutText);
        Assert.Equal(1, deleteAlone.ExitCode);
        Assert.Contains("a delete of a secret of namespace 'acme' needs 2 of 3 owner approvals", deleteAlone.Stderr, StringComparison.Ordinal);
        Assert.True(proposal.ExitCode == 0 && approve.ExitCode == 0, Describe(proposal) + Describe(approve));
        Assert.Contains("signed by carol, alice: 2 of the 2 approvals", approve.Stderr, StringComparison.Ordinal);
        Assert.Contains($"next: 'carapace secret submit {Dir.File("delete.signed")}'", approve.Stderr, StringComparison.Ordinal);
        Assert.True(delete.ExitCode == 0, Describe(delete));
        Assert.Equal("deleted secret 'db-password' of namespace 'acme' (write v3), approved by carol, alice\n", delete.StdoutText);
        var entry = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("secrets").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "db-password");
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("version").ValueKind);
        Assert.Equal(3, entry.GetProperty("lastWrite").GetInt64());
        foreach (var text in new[] { list.StdoutText, json.StdoutText, second.Stderr })
        {
            Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_image_key_file_is_stored_as_its_key_and_bad_requests_are_named_clearly()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        KeyFile.WriteSecret(Dir.File("site.img.key"), "carapace-image-key-v1:", key);
        File.WriteAllText(Dir.File("garbage.request"), "{\"write\": 1}");

        var image = await Run("secret", "put", "acme/image-key.reader.00ff", "--image-key", Dir.File("site.img.key"),
            "--sign", Dir.File("alice.key"), "--sign", Dir.File("bob.key"));
        var both = await Run("secret", "put", "acme/db-password", "--image-key", Dir.File("site.img.key"), "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"));
        var garbage = await Run("secret", "submit", Dir.File("garbage.request"));
        var missing = await Run("secret", "approve", Dir.File("nope.request"), "--sign", "bob=" + Dir.File("bob.key"));
        var lifetime = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"), "--expires-in", "60d");
        var noDelete = await Run("secret", "delete", "acme/db-password", "--sign", Dir.File("alice.key"), "--sign", Dir.File("bob.key"));

        Assert.True(image.ExitCode == 0, Describe(image));
        Assert.Contains("as version 1 (32 bytes), approved by alice, bob", image.StdoutText, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("exactly one of --from-file FILE and --image-key FILE", both.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("is not a secret write request", garbage.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, missing.ExitCode);
        Assert.Equal(2, lifetime.ExitCode);
        Assert.Contains("--expires-in takes N followed by m, h or d, from 1m to 30d", lifetime.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, noDelete.ExitCode);
        Assert.Contains("refused (NoValue): the secret has no value: secret 'db-password' of namespace 'acme' has no stored value to delete", noDelete.Stderr, StringComparison.Ordinal);
    }
}
