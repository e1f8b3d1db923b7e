using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Carapace.Cli.Tests.Kms;

/// <summary>The KMS commands end to end against a real <c>carapace kms start</c> process.</summary>
public sealed class KmsCommandsTests : KmsProcessFixture
{
    private const string Banner = "WARNING: SIMULATION KMS — its attestation is signed by a software quoting key";
    private const string Marker = "CLI-SECRET-MARKER-0c4f9e21";

    [Fact]
    public async Task Start_prints_its_endpoint_and_measurement_and_records_them_for_the_other_commands()
    {
        var endpointFile = Path.Combine(Home, "kms", "endpoint.json");
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(endpointFile));

        Assert.Equal(Endpoint.AbsoluteUri, recorded.RootElement.GetProperty("url").GetString());
        Assert.Equal("127.0.0.1", Endpoint.Host);
        Assert.Matches("measurement: [0-9a-f]{64}\n", ServerOutput);
        Assert.Contains("measurement: " + recorded.RootElement.GetProperty("measurement").GetString(), ServerOutput, StringComparison.Ordinal);
        Assert.Equal(91, Convert.FromBase64String(recorded.RootElement.GetProperty("quotingKey").GetString()!).Length);
        Assert.Contains(Banner, ServerErrors, StringComparison.Ordinal);
        Assert.Contains("SIMULATION: this KMS attests itself", ServerErrors, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Home, "sim", "quoting.key")));

        Assert.Equal(0, await StopServerAsync());
        Assert.False(File.Exists(endpointFile), "a stopped KMS must not leave its endpoint behind");
        Assert.Contains("KMS stopped", ServerErrors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Owners_set_show_and_update_a_policy_store_a_secret_and_verify_the_audit_log()
    {
        var alice = await NewOwnerAsync("alice.key");
        var bob = await NewOwnerAsync("bob.key", id: "bob");
        Assert.Equal("alice", alice.GetProperty("id").GetString());
        var policy = WritePolicy("acme.json", version: 1, approvals: 2, alice, bob);

        var one = await Run("policy", "set", policy, "--sign", Dir.File("alice.key"));
        var both = await Run("policy", "set", policy, "--sign", Dir.File("alice.key"), "--sign", Dir.File("bob.key"));
        var show = await Run("policy", "show", "acme");
        var signed = await Run("policy", "show", "acme", "--signed");

        Assert.Equal(1, one.ExitCode);
        Assert.Contains("carapace: rejected (InsufficientApprovals): ", one.Stderr, StringComparison.Ordinal);
        Assert.Single(one.StderrLines, l => l.StartsWith("carapace: ", StringComparison.Ordinal));
        Assert.True(both.ExitCode == 0, Describe(both));
        Assert.Equal("policy v1 of namespace 'acme' accepted, approved by alice, bob (new namespace)\n", both.StdoutText);
        Assert.StartsWith(Banner, both.Stderr, StringComparison.Ordinal);
        Assert.True(show.ExitCode == 0, Describe(show));
        Assert.Equal(File.ReadAllText(policy), show.StdoutText);
        Assert.Equal(["alice", "bob"], JsonDocument.Parse(signed.Stdout).RootElement.GetProperty("signatures").EnumerateArray().Select(s => s.GetProperty("owner").GetString()));

        // An update signed offline by the two owners in turn, then submitted.
        var v2 = WritePolicy("acme-v2.json", version: 2, approvals: 1, alice, bob);
        var first = await Run("policy", "sign", v2, "--key", Dir.File("alice.key"), "--out", Dir.File("v2.signed.json"));
        var second = await Run("policy", "sign", Dir.File("v2.signed.json"), "--key", Dir.File("bob.key"), "--out", Dir.File("v2.signed.json"));
        var update = await Run("policy", "set", Dir.File("v2.signed.json"));
        var rollback = await Run("policy", "set", policy, "--sign", Dir.File("alice.key"), "--sign", Dir.File("bob.key"));
        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, Describe(first) + Describe(second));
        Assert.True(update.ExitCode == 0, Describe(update));
        Assert.Contains("policy v2 of namespace 'acme' accepted, approved by alice, bob (replaces v1)", update.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, rollback.ExitCode);
        Assert.Contains("rejected (Rollback)", rollback.Stderr, StringComparison.Ordinal);

        File.WriteAllText(Dir.File("pw.txt"), Marker);
        var put = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("bob.key"));
        var piped = await Run(Encoding.UTF8.GetBytes(Marker), "secret", "put", "acme/db-password", "--from-file", "-", "--sign", Dir.File("alice.key"));
        Assert.True(put.ExitCode == 0, Describe(put));
        Assert.Equal("stored secret 'db-password' of namespace 'acme' as version 1 (26 bytes), approved by bob\n", put.StdoutText);
        Assert.Contains("as version 2", piped.StdoutText, StringComparison.Ordinal);

        var audit = await Run("kms", "audit", "acme", "--sign", Dir.File("alice.key"), "--verify");
        var json = await Run("kms", "audit", "acme", "--sign", Dir.File("bob.key"), "--verify", "--json");
        Assert.True(audit.ExitCode == 0, Describe(audit));
        Assert.Contains("the audit log is intact", audit.StdoutText, StringComparison.Ordinal);
        Assert.Contains("SecretPut", audit.StdoutText, StringComparison.Ordinal);
        var kinds = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["PolicyRejected", "PolicyUpdated", "PolicyUpdated", "PolicyRejected", "SecretPut", "SecretPut"], kinds);
        Assert.True(JsonDocument.Parse(json.Stdout).RootElement.GetProperty("verification").GetProperty("intact").GetBoolean());

        foreach (var text in new[] { ServerOutput, ServerErrors, put.StdoutText, put.Stderr, piped.Stderr, audit.StdoutText, json.StdoutText })
        {
            Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        }

        // Someone edits a record on disk: verification says so and exits 1.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(Home, "kms", "kms.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit SET subject = 'forged' WHERE seq = 2";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var tampered = await Run("kms", "audit", "acme", "--sign", Dir.File("alice.key"), "--verify");
        Assert.Equal(1, tampered.ExitCode);
        Assert.True(tampered.Stderr.Contains("carapace: the audit log is damaged at record 2: record 2 was modified: its content does not match its hash (HashMismatch)\n", StringComparison.Ordinal), Describe(tampered));
    }

    [Fact]
    public async Task Secret_put_refuses_a_key_that_is_no_owner_and_names_other_failures_clearly()
    {
        var alice = await NewOwnerAsync("alice.key");
        await NewOwnerAsync("mallory.key");
        var policy = WritePolicy("acme.json", version: 1, approvals: 1, alice);
        Assert.Equal(0, (await Run("policy", "set", policy, "--sign", Dir.File("alice.key"))).ExitCode);
        File.WriteAllText(Dir.File("pw.txt"), Marker);

        var stranger = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("mallory.key"));
        var impostor = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("pw.txt"), "--sign", "alice=" + Dir.File("mallory.key"));
        var undeclared = await Run("secret", "put", "acme/other", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"));
        var noPolicy = await Run("secret", "put", "nobody/db-password", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"));
        var badTarget = await Run("secret", "put", "acme", "--from-file", Dir.File("pw.txt"), "--sign", Dir.File("alice.key"));
        var missingFile = await Run("secret", "put", "acme/db-password", "--from-file", Dir.File("nope.txt"), "--sign", Dir.File("alice.key"));

        Assert.Equal(1, stranger.ExitCode);
        Assert.Contains("belongs to no owner of namespace 'acme'", stranger.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, impostor.ExitCode);
        Assert.Contains("refused (401 BadSignature): the signature of owner 'alice' does not verify", impostor.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, undeclared.ExitCode);
        Assert.Contains("refused (UnknownSecret): the policy does not declare the secret", undeclared.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, noPolicy.ExitCode);
        Assert.Contains("namespace 'nobody' has no policy", noPolicy.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badTarget.ExitCode);
        Assert.Equal(3, missingFile.ExitCode);
        foreach (var result in new[] { stranger, impostor, undeclared, noPolicy })
        {
            Assert.DoesNotContain(Marker, result.Stderr + result.StdoutText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_KMS_named_by_url_is_trusted_only_with_its_quoting_key()
    {
        var alice = await NewOwnerAsync("alice.key");
        var policy = WritePolicy("acme.json", version: 1, approvals: 1, alice);
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Home, "kms", "endpoint.json")));
        File.WriteAllText(Dir.File("quoting.b64"), recorded.RootElement.GetProperty("quotingKey").GetString());
        using (var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(Dir.File("other.pem"), other.ExportSubjectPublicKeyInfoPem());
        }

        var trusted = await Run("policy", "set", policy, "--sign", Dir.File("alice.key"), "--kms", Endpoint.AbsoluteUri, "--quoting-key", Dir.File("quoting.b64"));
        var untrusted = await Run("policy", "show", "acme", "--kms", Endpoint.AbsoluteUri, "--quoting-key", Dir.File("other.pem"));
        var localDefault = await Run("policy", "show", "acme", "--kms", Endpoint.AbsoluteUri);

        Assert.True(trusted.ExitCode == 0, Describe(trusted));
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains($"carapace: refusing to talk to the KMS: the KMS at {Endpoint} presented evidence that did not verify: BrokenChain", untrusted.Stderr, StringComparison.Ordinal);
        Assert.True(localDefault.ExitCode == 0, Describe(localDefault));
    }

    [Fact]
    public async Task Without_a_running_KMS_client_commands_exit_3()
    {
        Assert.Equal(0, await StopServerAsync());

        var noEndpoint = await Run("policy", "show", "acme");
        var unreachable = await Run("policy", "show", "acme", "--kms", Endpoint.AbsoluteUri);
        var otherDir = await Run("policy", "show", "acme", "--data-dir", Dir.File("empty"));

        Assert.Equal(3, noEndpoint.ExitCode);
        Assert.Contains("no KMS is running for this data directory", noEndpoint.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains($"cannot reach the KMS at {Endpoint}", unreachable.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, otherDir.ExitCode);
    }

    [Theory]
    [InlineData("kms", "start")]
    [InlineData("kms", "audit")]
    [InlineData("policy", "key", "new")]
    [InlineData("policy", "sign")]
    [InlineData("policy", "set")]
    [InlineData("policy", "show")]
    [InlineData("secret", "put")]
    [InlineData("secret", "delete")]
    [InlineData("secret", "approve")]
    [InlineData("secret", "submit")]
    [InlineData("secret", "list")]
    public async Task Every_kms_command_has_help_with_examples(params string[] command)
    {
        var result = await Run([.. command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("  carapace " + string.Join(' ', command), result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_options_are_usage_errors()
    {
        var port = await Run("kms", "start", "--port", "70000");
        var address = await Run("kms", "start", "--address", "localhost");
        var url = await Run("policy", "show", "acme", "--kms", "http://127.0.0.1:1/");

        Assert.Equal(2, port.ExitCode);
        Assert.Contains("--port must be 0 to 65535", port.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, address.ExitCode);
        Assert.Equal(2, url.ExitCode);
        Assert.Contains("--kms expects an https:// address", url.Stderr, StringComparison.Ordinal);
    }
}
