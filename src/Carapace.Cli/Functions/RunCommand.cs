using System.CommandLine;
using System.Security.Cryptography;
using Carapace.Cli.Infrastructure;
using Carapace.Envelope;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Functions;

/// <summary>
/// <c>carapace run</c>: runs a WebAssembly module once inside a fresh enclave process. This process plays two roles
/// kept apart in code: the client (it holds the keys, seals the input, provisions the enclave, opens the output) and
/// the untrusted worker (it starts the enclave and relays only sealed bytes).
/// </summary>
internal static class RunCommand
{
    /// <summary>Exit codes for outcomes other than the function's own exit code (documented in docs/cli.md).</summary>
    public const int TrapExit = 121;
    public const int FuelExit = 122;
    public const int IntegrityExit = 123;
    public const int TimeoutExit = 124;
    public const int MemoryExit = 125;
    public const int RejectedExit = 126;

    public static Command Build()
    {
        var inputs = new FunctionInputs();
        var imageKey = new Option<string?>("--image-key") { Description = "The image's key file (default IMG.key, as written by 'carapace pack').", HelpName = "FILE" };
        var masterKey = new Option<string?>("--key") { Description = "Derive the image key from this master key (for images packed with --key).", HelpName = "FILE" };
        var input = CommonOptions.In();
        var output = CommonOptions.Out();
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Where precompiled modules are cached (default ~/.carapace/cache).", HelpName = "DIR" };
        var stats = new Option<bool>("--stats") { Description = "Print the measurement, timings and resource use to stderr." };
        var command = new Command(
            "run",
            "Run a WebAssembly function once inside a fresh enclave process. Standard input is sealed before it reaches the " +
            "worker and opened only inside the enclave; the function's stdout is sealed inside the enclave and opened here; " +
            "its stderr goes to stderr. The exit code is the function's, or 124 timeout, 125 memory limit, 122 fuel, " +
            "121 trap, 123 integrity violation, 126 input rejected.")
        {
            imageKey, masterKey, input, output, cacheDir, stats,
        };
        inputs.AddTo(command);
        Examples.Set(command,
            "echo hello | carapace run examples/out/hello.wasm",
            "carapace run sha256.wasm --memory 32MiB --timeout 2s < big.bin",
            "carapace run readfile.wasm --image data.img --arg /data/hello.txt",
            "echo hello | carapace run hello.wasm --sealed-code");

        command.SetHandler(async (parse, cancel) =>
        {
            // Sealed code without an image of its own: the module is packed alone into a fresh image, mounted at /data.
            using var sealedImage = inputs.IsSealedCode(parse) && inputs.ImagePath(parse) is null
                ? SealedCodeImage.Pack(ModuleFile.Read(parse.GetRequiredValue(inputs.ModuleArgument)))
                : null;
            var imagePath = sealedImage?.ImagePath ?? inputs.ImagePath(parse);
            var (wasm, functionManifest, image) = inputs.Load(parse, imagePath);
            var key = image is null ? null : ImageKeySource.ForRunning(parse.GetValue(masterKey), parse.GetValue(imageKey), imagePath!, image.ImageId.Span);
            using var plan = ProvisioningPlan.Create(wasm, functionManifest, key, runtimeIdentity: ReferenceValuesOption.Load(path: null).RuntimeIdentityValue);
            var cache = new ModuleCacheStore(parse.GetValue(cacheDir) ?? DefaultCacheDirectory());
            var launch = new EnclaveLaunchOptions
            {
                Diagnostics = (pid, line) => Console.Error.WriteLine($"carapace: enclave {pid}: {line}"),
            };

            await using var cells = new StemCellPool(launch, size: 0);
            await using var pool = new FunctionPool(cells, new FunctionDefinition
            {
                Module = wasm,
                ImagePath = imagePath is null ? null : Path.GetFullPath(imagePath),
                Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
                MaxInstances = 1,
            }, cache);

            byte[] sealedInput;
            await using (var source = CliIo.OpenInput(parse.GetValue(input)))
            using (var buffer = new MemoryStream())
            {
                await EnvelopeSealer.SealAsync(plan.Input, source, buffer, new SealOptions { Function = functionManifest.Name }, cancel).ConfigureAwait(false);
                sealedInput = buffer.ToArray();
            }

            InvocationOutcome outcome;
            try
            {
                outcome = await pool.InvokeAsync(sealedInput, cancel).ConfigureAwait(false);
            }
            catch (EnclaveException e)
            {
                throw new CliFailure(e.Message, ExitCodes.Rejected);
            }

            var result = outcome.Result;
            if (!result.Log.IsEmpty)
            {
                using var log = EnvelopeOpener.Open(plan.Log, result.Log.Span);
                await using var stderr = Console.OpenStandardError();
                await stderr.WriteAsync(log.Payload, cancel).ConfigureAwait(false);
            }

            if (!result.Output.IsEmpty)
            {
                using var opened = EnvelopeOpener.Open(plan.Output, result.Output.Span);
                await using var sink = CliIo.OpenOutput(parse.GetValue(output));
                await sink.Stream.WriteAsync(opened.Payload, cancel).ConfigureAwait(false);
                await sink.CommitAsync(cancel).ConfigureAwait(false);
            }

            if (parse.GetValue(stats))
            {
                var u = result.Usage;
                Console.Error.WriteLine(
                    $"carapace: measurement {Convert.ToHexStringLower(plan.Measurement)}; specialise {outcome.SpecializeMicroseconds / 1000.0:F1} ms; " +
                    $"run {u.WallMicroseconds / 1000.0:F2} ms; instantiate {u.InstantiateMicroseconds} µs; memory {u.MemoryBytes >> 10} KiB; fuel {u.Fuel}; " +
                    $"enclave {outcome.EnclaveProcessId}; SIMULATION (not hardware-isolated)");
            }

            return ExitCodeOf(result);
        });
        return command;
    }

    public static int ExitCodeOf(ResultMessage result)
    {
        if (result.Status != InvocationStatus.Completed)
        {
            Console.Error.WriteLine("carapace: " + result.Message);
        }

        return result.Status switch
        {
            InvocationStatus.Completed => result.ExitCode,
            InvocationStatus.Timeout => TimeoutExit,
            InvocationStatus.MemoryLimit => MemoryExit,
            InvocationStatus.FuelExhausted => FuelExit,
            InvocationStatus.IntegrityViolation => IntegrityExit,
            InvocationStatus.InputRejected => RejectedExit,
            InvocationStatus.OutputTooLarge => ExitCodes.Rejected,
            _ => TrapExit,
        };
    }

    public static string DefaultCacheDirectory() => Path.Combine(Envelope.Keys.CarapaceHome.Directory, "cache");
}
