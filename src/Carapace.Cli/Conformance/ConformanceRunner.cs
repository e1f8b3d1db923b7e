using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Carapace.Cli.Infrastructure;
using Carapace.Envelope;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Images;
using Carapace.Functions.Modules;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Conformance;

/// <summary>How one conformance test ended.</summary>
internal enum ConformanceVerdict
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>The outcome of one test: verdict, why (for failures and skips) and the wall time.</summary>
internal sealed record ConformanceResult(string Name, ConformanceVerdict Verdict, string Reason, TimeSpan Elapsed);

/// <summary>
/// Runs conformance tests through the same path as <c>carapace run</c>: each test is a function with its own manifest
/// (arguments, environment, and its root directory packed here into a shielded image mounted at <c>/</c> with a
/// writable in-enclave overlay), provisioned into a fresh enclave process, invoked once with sealed empty input; its
/// sealed stdout and log are opened here and compared with the specification. Enclave processes are started ahead
/// (a stem-cell pool), each root is packed once, and compiled modules are cached, so a suite costs one enclave
/// specialisation per test and little else.
/// </summary>
internal sealed class ConformanceRunner : IAsyncDisposable
{
    private readonly StemCellPool _cells;
    private readonly ModuleCacheStore _cache;
    private readonly string _work;
    private readonly TimeSpan _timeout;
    private readonly byte[] _runtimeIdentity;
    private readonly Dictionary<string, (string Path, byte[] Key, ImageReference Reference)> _images = new(StringComparer.Ordinal);

    /// <param name="timeout">The wall-clock limit of each test (its manifest's timeout).</param>
    /// <param name="cacheDirectory">Where compiled modules are cached.</param>
    /// <param name="diagnostics">Where enclave diagnostics go (null: dropped).</param>
    public ConformanceRunner(TimeSpan timeout, string cacheDirectory, Action<string>? diagnostics = null)
    {
        _timeout = timeout;
        _cache = new ModuleCacheStore(cacheDirectory);
        _work = Directory.CreateTempSubdirectory("carapace-conformance-").FullName;
        // The native enclave beside the program, as 'run' starts it, provisioned only if it is this build's runtime.
        _runtimeIdentity = ReferenceValuesOption.Load(path: null).RuntimeIdentityValue;
        _cells = new StemCellPool(new EnclaveLaunchOptions
        {
            Diagnostics = diagnostics is null ? null : (pid, line) => diagnostics($"enclave {pid}: {line}"),
        }, size: 2);
    }

    /// <summary>Runs one test; never throws for anything the test or the suite got wrong (that is a failure with its reason).</summary>
    public async Task<ConformanceResult> RunAsync(ConformanceCase test, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.Unsupported is { } reason)
        {
            return new ConformanceResult(test.Name, ConformanceVerdict.Skipped, reason, TimeSpan.Zero);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            var failure = await RunCoreAsync(test, cancellationToken).ConfigureAwait(false);
            return new ConformanceResult(test.Name, failure is null ? ConformanceVerdict.Passed : ConformanceVerdict.Failed, failure ?? "", watch.Elapsed);
        }
        catch (Exception e) when (e is EnclaveException or ImagePackException or ArgumentException or IOException or EnvelopeException)
        {
            return new ConformanceResult(test.Name, ConformanceVerdict.Failed, e.Message, watch.Elapsed);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cells.DisposeAsync().ConfigureAwait(false);
        foreach (var (_, key, _) in _images.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        Directory.Delete(_work, recursive: true);
    }

    private async Task<string?> RunCoreAsync(ConformanceCase test, CancellationToken cancellationToken)
    {
        var module = await File.ReadAllBytesAsync(test.ModulePath, cancellationToken).ConfigureAwait(false);
        var validation = CommandModule.Validate(module);
        if (!validation.IsValid)
        {
            return validation.Describe(test.Name + ".wasm").ReplaceLineEndings(" ");
        }

        var image = test.Root is null ? default : ImageFor(test.Root);
        var manifest = new FunctionManifest
        {
            Name = test.Name,
            Arguments = test.Arguments,
            Environment = test.Environment,
            TimeoutMilliseconds = (long)_timeout.TotalMilliseconds,
            Image = image.Reference,

            // Only the root is preopened, as the specification asks. With the image at '/', writes go to its overlay
            // (the default 16 MiB budget) and there is no separate /tmp; without a root, nothing at all.
            TmpBytes = image.Reference is null ? 0 : new FunctionManifest().TmpBytes,
        };

        // The plan zeroes its copy of the image key when it is disposed; the packed image's key is kept for the next test.
        using var plan = ProvisioningPlan.Create(module, manifest, image.Key?.ToArray(), runtimeIdentity: _runtimeIdentity);
        await using var pool = new FunctionPool(_cells, new FunctionDefinition
        {
            Module = module,
            ImagePath = image.Path,
            Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
            MaxInstances = 1,
        }, _cache);

        var input = EnvelopeSealer.Seal(plan.Input, [], new SealOptions { Function = manifest.Name });
        var outcome = await pool.InvokeAsync(input, cancellationToken).ConfigureAwait(false);
        var result = outcome.Result;
        var stdout = Open(plan.Output, result.Output);
        var stderr = Open(plan.Log, result.Log);
        if (result.Status != InvocationStatus.Completed)
        {
            return $"{result.Status}: {result.Message}{Tail(stderr)}";
        }

        if (result.ExitCode != test.ExitCode)
        {
            return $"exit code {result.ExitCode}, expected {test.ExitCode}{Tail(stderr)}";
        }

        if (test.Stdout is { } expected && stdout != expected)
        {
            return $"stdout {Quote(stdout)}, expected {Quote(expected)}";
        }

        if (test.Stderr is { } expectedErr && stderr != expectedErr)
        {
            return $"stderr {Quote(stderr)}, expected {Quote(expectedErr)}";
        }

        return null;
    }

    /// <summary>Packs <paramref name="root"/> once into a shielded image under a fresh key, mounted at '/'.</summary>
    private (string? Path, byte[]? Key, ImageReference? Reference) ImageFor(string root)
    {
        if (!_images.TryGetValue(root, out var image))
        {
            var path = Path.Combine(_work, $"root-{_images.Count}.img");
            var key = RandomNumberGenerator.GetBytes(32);
            var id = ImageKeys.NewImageId();
            ImageDescription description;
            using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                description = ImagePacker.Pack(root, output, id, key);
            }

            image = (path, key, new ImageReference(id, description.Root.ToArray(), MountPath: "/"));
            _images.Add(root, image);
        }

        return image;
    }

    private static string Open(Carapace.Envelope.Keys.EdgeKey key, ReadOnlyMemory<byte> sealedBytes)
    {
        if (sealedBytes.IsEmpty)
        {
            return "";
        }

        using var opened = EnvelopeOpener.Open(key, sealedBytes.Span);
        return Encoding.UTF8.GetString(opened.Payload.Span);
    }

    private static string Tail(string stderr)
    {
        var text = stderr.Trim();
        return text.Length == 0 ? "" : "; stderr: " + (text.Length > 400 ? "…" + text[^400..] : text).ReplaceLineEndings(" | ");
    }

    private static string Quote(string text) =>
        "\"" + (text.Length > 200 ? text[..200] + "…" : text).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
