using System.Security.Cryptography;
using System.Text;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// <c>carapace up --tee tdx</c> on an imitation TDX confidential VM, used as a user would: functions deploy with tdx
/// workload rules, their enclaves attest to the KMS (itself attested by a TDX quote) with quotes from the fake
/// configfs-tsm tree, get their keys and run a chain whose receipts verify against the configuration's test root;
/// an enclave whose quote binds other report data, comes from a debug VM, an unlisted image or an out-of-date TCB
/// gets nothing, and the reason is recorded (in the activation, and for the KMS's refusals in its audit log).
/// </summary>
public sealed class TdxPlatformTests(TdxPlatform platform) : IClassFixture<TdxPlatform>
{
    [Fact]
    public void Up_says_which_TEE_it_runs_in_and_that_the_roots_are_not_the_vendor_s()
    {
        Assert.Matches("(?m)^  TEE +tdx \\(configfs-tsm at .+; 1 trusted VM image\\(s\\); CUSTOM ROOTS", platform.Up.Stdout);
        Assert.Matches("(?m)^  KMS +https://.+ \\(measurement [0-9a-f]{16}…, tdx; supervised", platform.Up.Stdout);
        Assert.Contains("WARNING: the TEE configuration replaces the vendors' root certificates", platform.Up.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("SIMULATION MODE", platform.Up.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_deploys_attests_gets_its_keys_and_runs_and_its_receipts_prove_the_trusted_VM()
    {
        var hello = await platform.DeployAsync("t-hello", "hello");
        await platform.DeployAsync("t-count", "wordcount");
        var chain = await platform.RunAsync(null, "chain", "create", "t-pipe", "t-hello", "t-count");
        Assert.True(chain.ExitCode == 0, chain.Stderr);
        var served = platform.Tree.Served;

        var invoke = await platform.RunAsync(Encoding.UTF8.GetBytes("one two three\n"), "invoke", "t-pipe", "--receipt", platform.File("receipts.json"));
        var verify = await platform.RunAsync(null, "receipt", "verify", platform.File("receipts.json"));
        var audit = await platform.RunAsync(null, "kms", "audit", "guest", "--sign", Path.Combine(platform.DataDirectory, "owner.key"));

        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Equal("1 3 14", invoke.StdoutText.Trim()); // wordcount of "ONE TWO THREE\n"
        Assert.EndsWith("2 receipts verified", invoke.StderrLines.Last(), StringComparison.Ordinal);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.StdoutText);
        Assert.Matches("(?m)^  evidence     Tdx$", verify.StdoutText);
        Assert.Contains($"  vm           launch measurement {FakeTdxPlatform.DefaultMrtdHex}, TCB UpToDate", verify.StdoutText, StringComparison.Ordinal);
        Assert.Contains("2 receipts verified (tdx evidence from trusted VM images)", verify.Stderr, StringComparison.Ordinal);
        Assert.True(audit.ExitCode == 0, audit.Stderr);
        Assert.Matches($"(?m)KeyReleased +t-hello .*\"evidence\":\"ratls/tdx\".*\"measurement\":\"{hello}\"", audit.StdoutText);
        // Each enclave quoted twice at least (its release, its receipt key), and the KMS for each connection.
        Assert.True(platform.Tree.Served >= served + 4, $"{platform.Tree.Served - served} quotes served");
    }

    [Theory]
    [InlineData(QuoteFault.DebugVm, "DebugNotAllowed", "runs in a debug enclave")]
    [InlineData(QuoteFault.UnlistedMrtd, "UntrustedVm", "its VM's launch measurement (MRTD) 9999")]
    [InlineData(QuoteFault.OutOfDateTcb, "TcbNotAccepted", "its TDX platform's TCB status is OutOfDate")]
    public async Task An_enclave_the_KMS_refuses_gets_nothing_and_the_reason_is_in_the_activation_and_the_audit_log(QuoteFault fault, string reason, string message)
    {
        var name = "bad-" + fault.ToString().ToLowerInvariant();
        var measurement = await platform.DeployAsync(name, "hello", "--env", "CASE=" + fault);
        platform.Spoil(measurement, fault);

        var invoke = await platform.RunAsync(Encoding.UTF8.GetBytes("secret input"), "invoke", name);
        var audit = await platform.RunAsync(null, "kms", "audit", "guest", "--sign", Path.Combine(platform.DataDirectory, "owner.key"));

        Assert.NotEqual(0, invoke.ExitCode);
        Assert.Empty(invoke.Stdout);
        Assert.Contains("attestation rejected", invoke.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, invoke.Stderr, StringComparison.Ordinal);
        Assert.True(audit.ExitCode == 0, audit.Stderr);
        var records = audit.StdoutText.Split('\n').Where(l => l.Contains($" {name} ", StringComparison.Ordinal)).ToList();
        Assert.Contains(records, r => r.Contains("ReleaseDenied", StringComparison.Ordinal) && r.Contains($"\"reason\":\"{reason}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Contains("KeyReleased", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_quote_over_other_report_data_is_refused_by_the_enclave_itself_and_nothing_is_released()
    {
        var measurement = await platform.DeployAsync("bad-reportdata", "hello", "--env", "CASE=reportdata");
        platform.Spoil(measurement, QuoteFault.WrongReportData);

        var invoke = await platform.RunAsync(Encoding.UTF8.GetBytes("secret input"), "invoke", "bad-reportdata");
        var audit = await platform.RunAsync(null, "kms", "audit", "guest", "--sign", Path.Combine(platform.DataDirectory, "owner.key"));

        Assert.NotEqual(0, invoke.ExitCode);
        Assert.Empty(invoke.Stdout);
        Assert.Contains("cannot attest this enclave (tdx)", invoke.Stderr, StringComparison.Ordinal);
        Assert.Contains("other report data", invoke.Stderr, StringComparison.Ordinal);
        Assert.True(audit.ExitCode == 0, audit.Stderr);
        Assert.DoesNotContain(audit.StdoutText.Split('\n'), l => l.Contains("KeyReleased", StringComparison.Ordinal) && l.Contains(" bad-reportdata ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sealed_input_never_reaches_the_platform_s_logs_in_clear()
    {
        await platform.DeployAsync("t-sha", "sha256");
        var input = Encoding.UTF8.GetBytes("tdx-only plaintext " + Guid.NewGuid().ToString("N"));

        var invoke = await platform.RunAsync(input, "invoke", "t-sha");

        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(input)), invoke.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain(Encoding.UTF8.GetString(input), platform.Up.Stdout + platform.Up.Stderr, StringComparison.Ordinal);
    }
}
