using System.Net;
using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation.Tee;
using Carapace.Client.Deployment;
using Carapace.Client.Invocation;
using Carapace.Client.Profiles;
using Carapace.Client.Tests.Support;
using Carapace.Functions;
using Carapace.Kms.Client;

namespace Carapace.Client.Tests;

/// <summary>
/// The SDK against a real embedded platform and a real KMS: deploys name measurements in the signed policy, invocations
/// are sealed and opened only here, and every step's receipt is verified before an output is returned.
/// </summary>
public sealed class CarapaceClientTests : IAsyncLifetime
{
    private EmbeddedPlatform _platform = null!;
    private CarapaceClient _client = null!;

    public async Task InitializeAsync()
    {
        _platform = await EmbeddedPlatform.StartAsync(maxInvocationBytes: 256 * 1024);
        _client = _platform.Client();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Fact]
    public async Task A_deployed_action_is_invoked_sealed_and_its_output_comes_back_opened_with_a_verified_receipt()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var stages = new List<DeployStage>();

        var deployed = await _client.DeployAsync("hello", module, new DeployOptions { MemoryMiB = 128, TimeoutMs = 5_000 },
            new SyncProgress<DeployProgress>(p => stages.Add(p.Stage)));

        var expected = Measurement.Compute(ReferenceValues.Load().RuntimeIdentityValue, SHA256.HashData(module),
            ActionManifest.For("hello", 128, 5_000).Encode());
        Assert.Equal(Convert.ToHexStringLower(expected), deployed.Measurement);
        Assert.Equal([DeployStage.Measuring, DeployStage.UpdatingPolicy, DeployStage.Uploading, DeployStage.Finishing, DeployStage.Done], stages.Distinct());
        var policy = await _platform.PolicyAsync();
        Assert.Equal(deployed.PolicyVersion, policy.Version);
        Assert.Equal(deployed.Measurement, policy.FindFunction("hello")!.Measurements.Single().Hash);
        Assert.Equal(["hello"], policy.FindChain("hello")!.Steps);
        Assert.Equal([EmbeddedPlatform.ClientId], policy.Clients.Select(c => c.Id));

        var first = await _client.InvokeAsync("hello", "hello, sdk"u8.ToArray());
        var second = await _client.InvokeAsync("hello", new MemoryStream("again"u8.ToArray()));

        Assert.Equal("HELLO, SDK", Encoding.UTF8.GetString(first.Output).Trim());
        Assert.Equal("AGAIN", Encoding.UTF8.GetString(second.Output).Trim());
        Assert.Equal((true, false), (first.Cold, second.Cold));
        Assert.Matches("^[0-9a-f]{32}$", first.ActivationId);
        var receipt = Assert.Single(first.VerifiedReceipts);
        Assert.Equal(("hello", "hello", 1, first.RequestId), (receipt.Function, receipt.Chain, receipt.Step, receipt.RequestId));
        Assert.Equal(deployed.Measurement, Convert.ToHexStringLower(receipt.Measurement.Span));
        Assert.Single(first.Receipts);
    }

    [Fact]
    public async Task An_action_deployed_with_an_image_reads_it_with_the_key_the_client_stored_in_the_KMS()
    {
        var source = Path.Combine(_platform.Root, "image-source");
        Directory.CreateDirectory(source);
        await File.WriteAllTextAsync(Path.Combine(source, "hello.txt"), "sealed hello\n");
        var key = RandomNumberGenerator.GetBytes(32);
        using var packed = new MemoryStream();
        Functions.Images.ImagePacker.Pack(source, packed, Functions.Images.ImageKeys.NewImageId(), key);
        var image = packed.ToArray();
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("readfile"));
        var stages = new List<DeployStage>();

        var deployed = await _client.DeployAsync("reader", module, new DeployOptions { MemoryMiB = 128, TimeoutMs = 5_000, Image = image, ImageKey = key },
            new SyncProgress<DeployProgress>(p => stages.Add(p.Stage)));
        var output = await _client.InvokeAsync("reader", Array.Empty<byte>());

        Assert.Equal("sealed hello\n", Encoding.UTF8.GetString(output.Output));
        var reference = ActionMeasurement.ImageReferenceOf(image);
        var expected = Measurement.Compute(ReferenceValues.Load().RuntimeIdentityValue, SHA256.HashData(module),
            ActionManifest.For("reader", 128, 5_000, image: reference).Encode());
        Assert.Equal(Convert.ToHexStringLower(expected), deployed.Measurement);
        Assert.Contains(DeployStage.StoringImageKey, stages);
        var policy = await _platform.PolicyAsync();
        var secret = "image-key.reader." + Convert.ToHexStringLower(reference.Id.Span);
        Assert.Equal([secret], policy.FindFunction("reader")!.Secrets);
        Assert.Contains(policy.Secrets, s => s.Name == secret);

        // Without its key, or as a plaintext action, an image is refused before anything is sent.
        var invalid = await Assert.ThrowsAsync<ArgumentException>(() => _client.DeployAsync("reader", module,
            new DeployOptions { MemoryMiB = 128, Image = image, Confidential = false }));
        Assert.Contains("needs its 32-byte key", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("a plaintext action cannot mount an image", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_of_three_steps_returns_the_right_bytes_and_three_linked_receipts()
    {
        foreach (var name in new[] { "hello", "wordcount", "sha256" })
        {
            await _client.DeployAsync(name, await File.ReadAllBytesAsync(RepoPaths.Example(name)), new DeployOptions { MemoryMiB = 128 });
        }

        var chain = await _client.CreateChainAsync("pipeline", ["hello", "wordcount", "sha256"]);
        var result = await _client.InvokeAsync("pipeline", "one two three\nfour\n"u8.ToArray());

        Assert.Equal("sequence", chain.Action.Kind);
        Assert.Equal(["/guest/hello", "/guest/wordcount", "/guest/sha256"], chain.Action.Components);
        var counted = "2 4 19\n"u8.ToArray(); // wordcount of "ONE TWO THREE\nFOUR\n"
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(counted)), Encoding.UTF8.GetString(result.Output), StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], result.VerifiedReceipts.Select(r => r.Step));
        Assert.Equal(["hello", "wordcount", "sha256"], result.VerifiedReceipts.Select(r => r.Function));
        Assert.All(result.VerifiedReceipts, r => Assert.Equal(("pipeline", result.RequestId), (r.Chain, r.RequestId)));
        Assert.Equal(["hello", "wordcount", "sha256"], (await _platform.PolicyAsync()).FindChain("pipeline")!.Steps);
    }

    [Fact]
    public async Task Receipts_that_were_altered_reordered_or_are_missing_are_refused()
    {
        await DeployExampleAsync("hello");
        await DeployExampleAsync("wordcount");
        await _client.CreateChainAsync("two", ["hello", "wordcount"]);
        var result = await _client.InvokeAsync("two", "a b"u8.ToArray());
        var policy = await _platform.PolicyAsync();
        var chain = policy.FindChain("two")!;
        var quoting = _platform.Kms.QuotingKey;
        var input = result.VerifiedReceipts[0].InputSha256;
        var output = result.VerifiedReceipts[1].OutputSha256.ToArray();

        var flipped = result.Receipts.Select(r => r.ToArray()).ToList();
        flipped[1][flipped[1].Length / 2] ^= 1;
        var swapped = new[] { result.Receipts[1], result.Receipts[0] };

        var altered = Assert.Throws<InvocationException>(() =>
            ReceiptCheck.Verify([.. flipped.Select(f => (ReadOnlyMemory<byte>)f)], "guest", policy, chain, result.RequestId, input, output, Sim(quoting), TeeSettings.Simulation, "x"));
        var reordered = Assert.Throws<InvocationException>(() =>
            ReceiptCheck.Verify(swapped, "guest", policy, chain, result.RequestId, input, output, Sim(quoting), TeeSettings.Simulation, "x"));
        var missing = Assert.Throws<InvocationException>(() =>
            ReceiptCheck.Verify([result.Receipts[0]], "guest", policy, chain, result.RequestId, input, output, Sim(quoting), TeeSettings.Simulation, "x"));
        var otherKey = Assert.Throws<InvocationException>(() =>
            ReceiptCheck.Verify(result.Receipts, "guest", policy, chain, result.RequestId, input, output, Sim(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo()), TeeSettings.Simulation, "x"));
        var otherOutput = Assert.Throws<InvocationException>(() =>
            ReceiptCheck.Verify(result.Receipts, "guest", policy, chain, result.RequestId, input, new byte[32], Sim(quoting), TeeSettings.Simulation, "x"));

        Assert.All([altered, reordered, missing, otherKey, otherOutput], e => Assert.Equal(InvocationFailure.ReceiptsInvalid, e.Failure));
        Assert.Contains("receipt 2 does not verify", altered.Message, StringComparison.Ordinal);
        Assert.Contains("returned 1 receipt(s) for chain 'two' of 2 step(s)", missing.Message, StringComparison.Ordinal);
        Assert.Contains("do not link", otherOutput.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redeploy_with_other_limits_replaces_the_measurement_the_policy_accepts()
    {
        var first = await DeployExampleAsync("hello");
        var second = await _client.DeployAsync("hello", await File.ReadAllBytesAsync(RepoPaths.Example("hello")),
            new DeployOptions { MemoryMiB = 192, Env = new Dictionary<string, string> { ["GREETING"] = "hi" } });

        Assert.NotEqual(first.Measurement, second.Measurement);
        Assert.Equal("0.0.2", second.Action.Version);
        var policy = await _platform.PolicyAsync();
        Assert.Equal(second.Measurement, policy.FindFunction("hello")!.Measurements.Single().Hash);
        Assert.Equal("HELLO", Encoding.UTF8.GetString((await _client.InvokeAsync("hello", "hello"u8.ToArray())).Output).Trim());
    }

    [Fact]
    public async Task A_namespace_without_a_policy_gets_one_with_this_owner_and_client()
    {
        await using var bare = await EmbeddedPlatform.StartAsync(withPolicy: false);
        await using var client = bare.Client();

        var deployed = await client.DeployAsync("hello", await File.ReadAllBytesAsync(RepoPaths.Example("hello")), new DeployOptions { MemoryMiB = 128 });
        var result = await client.InvokeAsync("hello", "fresh"u8.ToArray());

        Assert.Equal(1UL, deployed.PolicyVersion);
        var policy = await bare.PolicyAsync();
        Assert.Equal([EmbeddedPlatform.OwnerId], policy.Owners.Select(o => o.Id));
        Assert.Equal([EmbeddedPlatform.ClientId], policy.Clients.Select(c => c.Id));
        Assert.Equal(1, policy.Approvals);
        Assert.Equal("FRESH", Encoding.UTF8.GetString(result.Output).Trim());
    }

    [Fact]
    public async Task A_non_blocking_invocation_gives_an_activation_whose_result_is_opened_and_verified_later()
    {
        await DeployExampleAsync("hello");

        var pending = await _client.StartAsync("hello", new MemoryStream("later"u8.ToArray()));
        InvokeResult? result = null;
        for (var attempt = 0; attempt < 300 && result is null; attempt++)
        {
            try
            {
                result = await _client.GetResultAsync(pending);
            }
            catch (InvocationException e) when (e.Failure == InvocationFailure.Pending)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal("LATER", Encoding.UTF8.GetString(result!.Output).Trim());
        Assert.Equal(pending.ActivationId, result.ActivationId);
        Assert.Single(result.VerifiedReceipts);
        var byId = await _client.GetResultAsync(pending.ActivationId);
        Assert.Equal(result.Output, byId.Output);
    }

    [Fact]
    public async Task Polling_without_pause_across_the_moment_an_activation_finishes_gives_pending_or_the_result_never_anything_else()
    {
        // Each poll asks for the result, then (on 404) whether the activation ended: an activation finishing between
        // the two questions must not surface as a 404. Tight polling of several activations crosses that moment often.
        await DeployExampleAsync("hello");
        var inputs = Enumerable.Range(0, 8).Select(i => $"poll {i}").ToArray();
        var pending = new List<PendingInvocation>();
        foreach (var input in inputs)
        {
            pending.Add(await _client.StartAsync("hello", new MemoryStream(Encoding.UTF8.GetBytes(input))));
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var outputs = await Task.WhenAll(pending.Select(async p =>
        {
            while (true)
            {
                try
                {
                    return Encoding.UTF8.GetString((await _client.GetResultAsync(p)).Output).Trim();
                }
                catch (InvocationException e) when (e.Failure == InvocationFailure.Pending && DateTime.UtcNow < deadline)
                {
                }
            }
        }));

        Assert.Equal(inputs.Select(i => i.ToUpperInvariant()), outputs);
    }

    [Fact]
    public async Task A_failing_function_is_a_typed_502_and_its_sealed_logs_open_only_client_side()
    {
        await DeployExampleAsync("marker");
        await _client.DeployAsync("spin", await File.ReadAllBytesAsync(RepoPaths.Example("spin")), new DeployOptions { MemoryMiB = 128, TimeoutMs = 500 });

        var failed = await Assert.ThrowsAsync<InvocationException>(() => _client.InvokeAsync("marker", "not a marker"u8.ToArray()));
        var timedOut = await Assert.ThrowsAsync<InvocationException>(() => _client.InvokeAsync("spin", ReadOnlyMemory<byte>.Empty));

        Assert.Equal((InvocationFailure.FunctionFailed, HttpStatusCode.BadGateway), (failed.Failure, failed.StatusCode));
        Assert.NotNull(failed.ActivationId);
        Assert.Equal("action developer error", timedOut.ActivationStatus);
        Assert.Contains("The action exceeded its time limits of 500 milliseconds", timedOut.Message, StringComparison.Ordinal);
        Assert.Contains($"carapace activations get {timedOut.ActivationId}", timedOut.Message, StringComparison.Ordinal);

        var sealedOnly = await _client.Gateway.GetActivationLogsAsync(failed.ActivationId!);
        Assert.Empty(sealedOnly.Lines);
        Assert.Equal(-1, sealedOnly.Sealed!.Envelope!.Value.Span.IndexOf("usage"u8));
        var lines = await _client.GetLogsAsync(failed.ActivationId!);
        Assert.Contains(lines, l => l.Contains("usage: echo write:MARKER | marker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refusals_are_typed_with_what_to_do()
    {
        await DeployExampleAsync("hello");
        var tooBig = await Assert.ThrowsAsync<InvocationException>(() => _client.InvokeAsync("hello", new byte[300 * 1024]));

        // The policy still has the chain, but the gateway no longer has the action.
        await _client.Gateway.DeleteActionAsync("hello");
        var missing = await Assert.ThrowsAsync<InvocationException>(() => _client.InvokeAsync("hello", "x"u8.ToArray()));

        Assert.Equal((InvocationFailure.TooLarge, HttpStatusCode.RequestEntityTooLarge), (tooBig.Failure, tooBig.StatusCode));
        Assert.Equal((InvocationFailure.NotFound, HttpStatusCode.NotFound), (missing.Failure, missing.StatusCode));
        Assert.Contains("carapace deploy hello", missing.Message, StringComparison.Ordinal);
        var unknownStep = await Assert.ThrowsAsync<CarapaceClientException>(() => _client.CreateChainAsync("broken", ["hello", "nope"]));
        Assert.Contains("'nope'", unknownStep.Message, StringComparison.Ordinal);
        Assert.Contains("carapace deploy", unknownStep.Message, StringComparison.Ordinal);
        var invalid = await Assert.ThrowsAsync<ArgumentException>(() => _client.DeployAsync("small", new byte[8], new DeployOptions { MemoryMiB = 64 }));
        Assert.Contains("minimum of 128 MiB", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_module_is_refused_before_anything_is_uploaded()
    {
        var progress = new List<DeployStage>();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _client.DeployAsync("greet", "console.log('hi')\n"u8.ToArray(), null,
            new InlineProgress(p => progress.Add(p.Stage))));

        Assert.Contains("The module of 'greet' is not a WebAssembly module (it starts with \"console.log(\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("wasm:wasi", e.Message, StringComparison.Ordinal);
        Assert.Empty(progress);
        var missing = await Assert.ThrowsAsync<Carapace.Client.Gateway.GatewayException>(() => _client.Gateway.GetActionAsync("greet", withCode: false));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task An_environment_the_enclave_could_not_use_is_refused_before_anything_is_uploaded()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _client.DeployAsync("hello", module,
            new DeployOptions { Env = new Dictionary<string, string> { ["MODE"] = "a\0b" } }));

        Assert.Contains("the value of 'MODE' contains a NUL character", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_an_action_removes_its_function_and_chain_from_the_policy()
    {
        await DeployExampleAsync("hello");

        var deleted = await _client.DeleteAsync("hello");

        var policy = await _platform.PolicyAsync();
        Assert.Equal(policy.Version, deleted.PolicyVersion);
        Assert.Null(policy.FindFunction("hello"));
        Assert.Null(policy.FindChain("hello"));
    }

    [Fact]
    public async Task A_KMS_of_another_build_is_refused_before_anything_is_sent_to_it()
    {
        var other = new string('0', 64);
        var profile = PlatformProfile.Load(_platform.DataDirectory);
        var impostor = Variant(profile, profile.Kms! with { Measurement = other }, profile.Namespace);
        await using var client = _platform.Client(impostor);

        var error = await Assert.ThrowsAsync<CarapaceClientException>(() => client.InvokeAsync("hello", "x"u8.ToArray()));

        Assert.Contains(other, error.Message, StringComparison.Ordinal);
        Assert.Contains(KmsIdentity.MeasurementHex, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_profile_KMS_the_client_takes_the_one_the_gateway_advertises()
    {
        var noKms = Variant(PlatformProfile.Load(_platform.DataDirectory), kms: null, PlatformProfile.OwnNamespace);
        await using var client = _platform.Client(noKms);

        await client.DeployAsync("hello", await File.ReadAllBytesAsync(RepoPaths.Example("hello")), new DeployOptions { MemoryMiB = 128 });
        var result = await client.InvokeAsync("hello", "via info"u8.ToArray());

        Assert.Equal("guest", await client.GetNamespaceAsync());
        Assert.Equal("VIA INFO", Encoding.UTF8.GetString(result.Output).Trim());
        Assert.NotNull((await client.GetKmsAsync()).ServerEvidence);
    }

    private async Task<DeployResult> DeployExampleAsync(string name) =>
        await _client.DeployAsync(name, await File.ReadAllBytesAsync(RepoPaths.Example(name)), new DeployOptions { MemoryMiB = 128, TimeoutMs = 5_000 });

    private static Carapace.Attestation.VerificationOptions Sim(ReadOnlyMemory<byte> quotingKey) => new() { SimulationQuotingKeys = [quotingKey] };

    /// <summary><paramref name="profile"/> with another KMS and namespace.</summary>
    private static PlatformProfile Variant(PlatformProfile profile, PlatformKms? kms, string ns) => new()
    {
        Gateway = profile.Gateway,
        CaFingerprint = profile.CaFingerprint,
        Namespace = ns,
        Auth = profile.Auth,
        Kms = kms,
        OwnerKey = profile.OwnerKey,
        OwnerId = profile.OwnerId,
        ClientKey = profile.ClientKey,
        ClientId = profile.ClientId,
        DataDirectory = profile.DataDirectory,
        CaCertificatePath = profile.CaCertificatePath,
    };

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class InlineProgress(Action<DeployProgress> report) : IProgress<DeployProgress>
    {
        public void Report(DeployProgress value) => report(value);
    }
}
