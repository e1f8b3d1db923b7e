using System.Security.Cryptography;
using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Simulation;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Server;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;
using Carapace.Attestation.Tee;

namespace Carapace.Worker.Tests;

/// <summary>
/// Enclaves started by the worker fetch their keys from a real KMS over attested TLS before their first invocation:
/// the measurement the policy names gets its chain's edge keys and secrets; any other gets nothing.
/// </summary>
public sealed class KmsProvisioningTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string Namespace = "demo";
    private readonly WorkerHarness _harness = new();
    private readonly OwnerKey _owner = OwnerKey.Generate();
    private KmsServer? _kms;
    private SimulatedQuotingService? _quoting;

    public async Task InitializeAsync()
    {
        // The enclave's simulated quoting service lives beside its platform key; the KMS trusts the same one.
        _kms = await KmsServer.StartAsync(new KmsServerOptions
        {
            DataDirectory = Path.Combine(_harness.Root, "kms"),
            Tee = TeeBackend.Simulation(_harness.Root),
        });
        _quoting = SimulatedQuotingService.OpenOrCreate(_harness.Root);
    }

    public async Task DisposeAsync()
    {
        _quoting?.Dispose();
        if (_kms is not null)
        {
            await _kms.DisposeAsync();
        }

        _owner.Dispose();
        _harness.Dispose();
    }

    [Fact]
    public async Task An_enclave_whose_measurement_is_in_policy_gets_its_chain_keys_and_secret_and_runs()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("args"));
        var manifest = new FunctionManifest { Name = "greet", Arguments = ["--env", "GREETING"] };
        var measurement = Expected(module, manifest);
        using var client = Client();
        await client.SetPolicyAsync(Sign(Policy(measurement, secret: "GREETING")));
        await client.PutSecretAsync(Namespace, "GREETING", "kms-marker-7f3a"u8.ToArray(), _owner, "owner");

        await using var cells = new StemCellPool(_harness.Launch, size: 0);
        await using var pool = new FunctionPool(cells, KmsDefinition(module, manifest), _harness.Cache);
        using var keys = await client.AttestAndReleaseAsync(Namespace, "greet", new SimulatedEvidenceIssuer(_quoting!, measurement));
        var outcome = await pool.InvokeAsync(EnvelopeSealer.Seal(Edge(keys.EdgeKeys, 0, 1), "ignored"u8));

        Assert.Equal(InvocationStatus.Completed, outcome.Result.Status);
        var output = EnvelopeOpener.Open(Edge(keys.EdgeKeys, 1, 2), outcome.Result.Output.Span);
        Assert.Contains("kms-marker-7f3a", System.Text.Encoding.UTF8.GetString(output.Payload.Span), StringComparison.Ordinal);
        EnvelopeOpener.Open(Edge(keys.EdgeKeys, 1, 0), outcome.Result.Log.Span);
    }

    [Fact]
    public async Task An_enclave_whose_measurement_is_not_in_policy_gets_nothing_and_the_invocation_says_why()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var deployed = new FunctionManifest { Name = "hello" };
        using var client = Client();
        await client.SetPolicyAsync(Sign(Policy(Expected(module, deployed))));

        // The host runs the same module with another manifest: another measurement.
        var other = new FunctionManifest { Name = "hello", Arguments = ["--debug"] };
        await using var cells = new StemCellPool(_harness.Launch, size: 0);
        await using var pool = new FunctionPool(cells, KmsDefinition(module, other), _harness.Cache);

        var error = await Assert.ThrowsAsync<EnclaveException>(() => pool.InvokeAsync(new byte[64]));

        Assert.Contains("attestation rejected: measurement " + Convert.ToHexStringLower(Expected(module, other)), error.Message, StringComparison.Ordinal);
        Assert.Contains("not in policy", error.Message, StringComparison.Ordinal);
        Assert.Equal(FailureReason.AttestationRejected, error.Reason);
    }

    [Fact]
    public async Task An_enclave_that_attested_and_ran_maps_no_KMS_server_ASP_NET_Core_or_SQLite_code_and_listens_on_no_socket()
    {
        await using var hello = await DeployHelloAsync();
        var outcome = await hello.Pool.InvokeAsync(EnvelopeSealer.Seal(Edge(hello.Keys, 0, 1), "footprint"u8));
        Assert.Equal(InvocationStatus.Completed, outcome.Result.Status);
        var pid = outcome.EnclaveProcessId;

        // The enclave has warmed up, released its keys from the KMS over attested TLS and run: all the code it ever needs
        // is mapped by now, and it is the native executable (the KMS client compiled in) and libwasmtime.so — no assembly.
        var mapped = ProcFs.MappedFiles(pid).Select(Path.GetFileName).ToHashSet();
        Assert.Contains("Carapace.Enclave", mapped);
        Assert.Contains("libwasmtime.so", mapped);
        Assert.DoesNotContain(mapped, name => name!.EndsWith(".dll", StringComparison.Ordinal));
        var forbidden = mapped.Where(name => name is "Carapace.Kms.dll" or "libe_sqlite3.so"
                || name!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                || name.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal)
                || name.StartsWith("SQLitePCLRaw", StringComparison.Ordinal)
                || name.Contains("e_sqlite3", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(forbidden);
        Assert.DoesNotContain(ProcFs.MappedFiles(pid), path => path.Contains("/Microsoft.AspNetCore.App/", StringComparison.Ordinal));

        // No socket of the enclave listens (TCP, UDP or Unix); the sockets of its KMS connections may still be closing.
        Assert.Empty(ProcFs.SocketInodes(pid).Intersect(ProcFs.ListeningSocketInodes(pid)));
    }

    [Fact]
    public async Task Every_invocation_returns_a_receipt_that_verifies_against_the_quoting_key_and_names_the_exact_sealed_bytes()
    {
        await using var hello = await DeployHelloAsync();
        var (pool, keys, measurement) = (hello.Pool, hello.Keys, hello.Measurement);
        var requestId = RequestId.New();
        var input = EnvelopeSealer.Seal(Edge(keys, 0, 1), "receipt me"u8, new SealOptions { RequestId = requestId });
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var result = (await pool.InvokeAsync(input)).Result;

        Assert.Equal(InvocationStatus.Completed, result.Status);
        var verification = ReceiptVerifier.Verify(result.Receipt.Span, new VerificationOptions { SimulationQuotingKeys = [_quoting!.PublicKey] });
        Assert.True(verification.Verified, verification.ToString());
        var receipt = verification.Receipt;
        Assert.Equal((Namespace, "hello", "hello", 1, requestId), (receipt.Namespace, receipt.Function, receipt.Chain, receipt.Step, receipt.RequestId));
        Assert.Equal(measurement, receipt.Measurement.ToArray());
        Assert.Equal(SHA256.HashData(input), receipt.InputSha256.ToArray());
        Assert.Equal(SHA256.HashData(result.Output.Span), receipt.OutputSha256.ToArray());
        Assert.Equal(SHA256.HashData(result.Log.Span), receipt.LogSha256.ToArray());
        Assert.Equal((InvocationStatus.Completed, 0), (receipt.Status, receipt.ExitCode));
        Assert.Equal(result.Usage.WallMicroseconds, receipt.WallMicroseconds);
        Assert.Equal(result.Usage.MemoryBytes, receipt.MemoryBytes);
        Assert.InRange(receipt.Start, before, receipt.End);
        Assert.InRange(receipt.End, receipt.Start, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(ReceiptChain.Check([receipt], requestId, "hello", 1, SHA256.HashData(input), SHA256.HashData(result.Output.Span), [measurement]).Valid);
        Assert.Equal("RECEIPT ME", System.Text.Encoding.UTF8.GetString(EnvelopeOpener.Open(Edge(keys, 1, 2), result.Output.Span).Payload.Span));

        // The next invocation is signed by the same attested key; a receipt for someone else's quoting key does not verify.
        var second = (await pool.InvokeAsync(EnvelopeSealer.Seal(Edge(keys, 0, 1), "again"u8))).Result;
        var again = ReceiptVerifier.Verify(second.Receipt.Span, new VerificationOptions { SimulationQuotingKeys = [_quoting.PublicKey] });
        Assert.True(again.Verified, again.ToString());
        Assert.Equal(receipt.SigningKey.ToArray(), again.Receipt.SigningKey.ToArray());
        using var stranger = SimulatedQuotingService.CreateEphemeral();
        Assert.Equal(ReceiptFailureReason.EvidenceNotVerified,
            ReceiptVerifier.Verify(second.Receipt.Span, new VerificationOptions { SimulationQuotingKeys = [stranger.PublicKey] }).Reason);
    }

    [Fact]
    public async Task A_refused_input_still_gets_a_receipt_that_says_so_and_garbage_gets_none()
    {
        await using var hello = await DeployHelloAsync();
        var (pool, keys) = (hello.Pool, hello.Keys);
        var tampered = EnvelopeSealer.Seal(Edge(keys, 0, 1), "x"u8);
        tampered[^1] ^= 1;

        var refused = (await pool.InvokeAsync(tampered)).Result;
        var garbage = (await pool.InvokeAsync(new byte[64])).Result;

        Assert.Equal(InvocationStatus.InputRejected, refused.Status);
        var verification = ReceiptVerifier.Verify(refused.Receipt.Span, new VerificationOptions { SimulationQuotingKeys = [_quoting!.PublicKey] });
        Assert.True(verification.Verified, verification.ToString());
        Assert.Equal(InvocationStatus.InputRejected, verification.Receipt.Status);
        Assert.Equal(SHA256.HashData(tampered), verification.Receipt.InputSha256.ToArray());
        Assert.True(verification.Receipt.OutputSha256.IsEmpty && verification.Receipt.LogSha256.IsEmpty);
        Assert.Equal(InvocationStatus.InputRejected, garbage.Status);
        Assert.True(garbage.Receipt.IsEmpty);
    }

    [Fact]
    public async Task A_warmed_cell_refuses_a_KMS_whose_evidence_another_quoting_key_signed()
    {
        // A KMS of this very build, but attested by a quoting key the enclave does not trust: after its warm-up (which
        // trusted a throwaway key for a throwaway stand-in) the cell still trusts only its platform's quoting key.
        var elsewhere = Path.Combine(_harness.Root, "elsewhere");
        await using var impostor = await KmsServer.StartAsync(new KmsServerOptions { DataDirectory = Path.Combine(elsewhere, "kms"), Tee = TeeBackend.Simulation(elsewhere) });
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var manifest = new FunctionManifest { Name = "hello" };
        await using var cells = new StemCellPool(_harness.Launch, size: 1);
        Assert.True(await cells.WaitUntilFullAsync(TimeSpan.FromSeconds(60)));
        await using var pool = new FunctionPool(cells, new FunctionDefinition
        {
            Module = module,
            Kms = new KmsFunction(impostor.Endpoint, Namespace, manifest.Name, manifest.Encode()),
            MaxInstances = 1,
        }, _harness.Cache);

        var error = await Assert.ThrowsAsync<EnclaveException>(() => pool.InvokeAsync(new byte[64]));

        Assert.Contains("the KMS could not be trusted", error.Message, StringComparison.Ordinal);
        Assert.Contains("did not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prewarmed_stem_cell_specialises_from_the_KMS_and_runs_reporting_its_cold_start()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var manifest = new FunctionManifest { Name = "hello" };
        var measurement = Expected(module, manifest);
        using var client = Client();
        await client.SetPolicyAsync(Sign(Policy(measurement)));
        using var keys = await client.AttestAndReleaseAsync(Namespace, "hello", new SimulatedEvidenceIssuer(_quoting!, measurement));
        var starts = new List<double>();
        for (var i = 0; i < 2; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await using var cell = await EnclaveProcess.StartAsync(_harness.Launch);
            starts.Add(watch.Elapsed.TotalMilliseconds);
        }

        await using var cells = new StemCellPool(_harness.Launch, size: 2);
        var specialise = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await cells.WaitUntilFullAsync(TimeSpan.FromSeconds(60)));
            await using var pool = new FunctionPool(cells, KmsDefinition(module, manifest), _harness.Cache);
            var outcome = await pool.InvokeAsync(EnvelopeSealer.Seal(Edge(keys.EdgeKeys, 0, 1), "cold"u8));
            Assert.Equal(InvocationStatus.Completed, outcome.Result.Status);
            Assert.True(outcome.ColdStart && outcome.Prewarmed);
            specialise.Add(outcome.SpecializeMicroseconds);
        }

        output.WriteLine($"stem cell spawn->ready ms: {string.Join(", ", starts.Select(s => s.ToString("0")))}");
        output.WriteLine($"KMS specialise us (prewarmed): {string.Join(", ", specialise)}");
    }

    /// <summary>The hello example deployed by policy in KMS mode, and the chain keys its client holds.</summary>
    private async Task<Deployment> DeployHelloAsync()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var manifest = new FunctionManifest { Name = "hello" };
        var measurement = Expected(module, manifest);
        using var client = Client();
        await client.SetPolicyAsync(Sign(Policy(measurement)));
        var keys = await client.AttestAndReleaseAsync(Namespace, "hello", new SimulatedEvidenceIssuer(_quoting!, measurement));
        var cells = new StemCellPool(_harness.Launch, size: 0);
        return new Deployment(cells, new FunctionPool(cells, KmsDefinition(module, manifest), _harness.Cache), keys.EdgeKeys, measurement, keys);
    }

    private sealed record Deployment(StemCellPool Cells, FunctionPool Pool, IReadOnlyList<EdgeKey> Keys, byte[] Measurement, IDisposable Owner) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Pool.DisposeAsync();
            await Cells.DisposeAsync();
            Owner.Dispose();
        }
    }

    private FunctionDefinition KmsDefinition(byte[] module, FunctionManifest manifest) => new()
    {
        Module = module,
        Kms = new KmsFunction(_kms!.Endpoint, Namespace, manifest.Name, manifest.Encode()),
        MaxInstances = 1,
    };

    private KmsClient Client() => new(_kms!.Endpoint, KmsServerTrust.Simulation(_kms.QuotingKey));

    private static byte[] Expected(byte[] module, FunctionManifest manifest) =>
        Measurement.Compute(ReferenceValues.Load().RuntimeIdentityValue, SHA256.HashData(module), manifest.Encode());

    private KmsPolicy Policy(byte[] measurement, string? secret = null) => new()
    {
        Namespace = Namespace,
        Version = 1,
        Owners = [new PolicyPrincipal { Id = "owner", PublicKey = _owner.PublicKeyBase64 }],
        Approvals = 1,
        AllowSimulation = true,
        Functions =
        [
            new PolicyFunction
            {
                Name = secret is null ? "hello" : "greet",
                Measurements = [new MeasurementRule { Kind = EvidenceKind.Simulation, Hash = Convert.ToHexStringLower(measurement) }],
                Secrets = secret is null ? [] : [secret],
            },
        ],
        Secrets = secret is null ? [] : [new PolicySecret { Name = secret }],
        Chains = [new PolicyChain { Name = secret is null ? "hello" : "greet", Steps = [secret is null ? "hello" : "greet"] }],
    };

    private byte[] Sign(KmsPolicy policy) =>
        PolicySigner.AddSignature(new SignedPolicy { PolicyText = policy.ToJson() }, "owner", _owner).ToJson();

    private static EdgeKey Edge(IReadOnlyList<EdgeKey> keys, int from, int to) => keys.Single(k => k.FromStep == from && k.ToStep == to);
}
