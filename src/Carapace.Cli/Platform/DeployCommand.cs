using System.CommandLine;
using System.Security.Cryptography;
using Carapace.Cli.Functions;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Functions;
using Spectre.Console;

namespace Carapace.Cli.Platform;

/// <summary>
/// <c>carapace deploy NAME MODULE.wasm</c> (or <c>NAME SOURCE.js</c>, a JavaScript action): store an action and name
/// its measurement in the namespace's KMS policy.
/// </summary>
internal static class DeployCommand
{
    /// <summary>Modules at least this large get a progress bar (when stderr is a terminal).</summary>
    private const long ProgressThreshold = 4L * 1024 * 1024;

    public static Command Build()
    {
        var name = new Argument<string>("NAME") { Description = "The action's name (also its chain's name)." };
        var module = new Argument<string>("MODULE")
        {
            Description = "The WebAssembly module (.wasm, WASI preview 1), or a JavaScript action's source (.js, OpenWhisk's nodejs contract: main(params) returns an object or a Promise of one).",
        };
        var kind = new Option<string?>("--kind")
        {
            Description = "The action's kind: wasm:wasi, nodejs:default or nodejs:N (OpenWhisk's JavaScript kinds, all run by the JavaScript enclave). " +
                "Default: nodejs:default for a .js file, else wasm:wasi.",
            HelpName = "KIND",
        };
        var main = new Option<string?>("--main")
        {
            Description = "A JavaScript action's entry function (exec.main; part of the measurement). Default: main.",
            HelpName = "NAME",
        };
        var memory = new Option<int>("--memory")
        {
            Description = $"Memory limit in MiB (at least {DeployOptions.MinMemoryMiB}).",
            HelpName = "MiB",
            DefaultValueFactory = _ => 256,
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Time limit of one invocation: a duration such as 5s, 500ms or 1m, or a bare number of milliseconds (as OpenWhisk's). Default: 60s.",
            HelpName = "TIME",
            DefaultValueFactory = _ => 60_000,
            CustomParser = r =>
            {
                var token = r.Tokens.Single().Value;
                if (long.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms <= int.MaxValue)
                {
                    return (int)ms;
                }

                if (Duration.TryParse(token, out var d) && d.TotalMilliseconds is >= 1 and <= int.MaxValue)
                {
                    return (int)d.TotalMilliseconds;
                }

                r.AddError($"--timeout expects a duration such as 5s, 500ms or 1m, or a number of milliseconds, not '{token}'");
                return 0;
            },
        };
        var secrets = new Option<string[]>("--secret")
        {
            Description = "Grant the function this KMS secret (declared in the policy if new; upload its value with 'carapace secret put'); may repeat.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var env = new Option<string[]>("--env")
        {
            Description = "Set an environment variable of the function (part of its measurement, not secret); may repeat.",
            HelpName = "K=V",
            AllowMultipleArgumentsPerToken = false,
        };
        var image = new Option<string?>("--image")
        {
            Description = "A file-system image (from 'carapace pack') mounted at GUESTPATH (default /data; '/' for the function's whole tree) " +
                "with a writable in-enclave overlay discarded after each invocation; its root and the mount path are part of the measurement.",
            HelpName = "IMG[:GUESTPATH]",
        };
        var imageKey = new Option<string?>("--image-key")
        {
            Description = "The image's key file (default IMG.key, as written by 'carapace pack'); stored in the KMS as secret image-key.NAME.IMAGEID, never sent to the gateway.",
            HelpName = "FILE",
        };
        var plaintext = new Option<bool>("--plaintext")
        {
            Description = "Deploy a plaintext action (JSON in and out, no envelopes, no KMS): for comparison and plain OpenWhisk clients.",
        };
        var sealedCode = new Option<bool>("--sealed-code")
        {
            Description = "Keep the module confidential: it is packed into the action's shielded image (alone, under a fresh key, unless --image " +
                "names an image that already holds it at " + SealedCode.PathInImage + ", or " + SealedCode.JavaScriptPathInImage + " for JavaScript), and the gateway, worker and disk get only Carapace's " +
                "fixed public stub and the module's hash. The enclave reads the module from the image after the KMS released the image key.",
        };
        var connection = new PlatformConnection();
        var command = new Command("deploy",
            "Deploy (or update) an action. A confidential action (the default) is measured here, and the namespace's KMS policy, signed with the " +
            "owner key of the profile, then accepts exactly that measurement for the function and its one-step chain NAME. All or nothing: the " +
            "policy accepts the new measurement beside the old one, the gateway stores the action, then the policy drops the old one; if the " +
            "gateway refuses, the policy change is undone and the previous action stays in place.")
        {
            name, module, kind, main, image, imageKey, sealedCode, memory, timeout, secrets, env, plaintext,
        };
        connection.AddTo(command);
        Examples.Set(command,
            "carapace deploy hello examples/out/hello.wasm",
            "carapace deploy wc examples/out/wordcount.wasm --memory 128 --timeout 5000 --env MODE=fast",
            "carapace deploy signer signer.wasm --secret signing-key",
            "carapace deploy reader examples/out/readfile.wasm --image data.img",
            "carapace deploy site server.wasm --image site.img:/",
            "carapace deploy secret-sauce model.wasm --sealed-code",
            "carapace deploy greet hello.js",
            "carapace deploy greet hello.js --kind nodejs:20 --main greet --sealed-code",
            "carapace deploy shout examples/out/hello.wasm --plaintext");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            var mount = ImageMount.Parse(parse.GetValue(image));
            var path = parse.GetRequiredValue(module);
            var actionKind = KindOf(path, parse.GetValue(kind));
            var sealing = parse.GetValue(sealedCode);
            if (sealing && mount is null && parse.GetValue(imageKey) is not null)
            {
                throw new CliFailure("--image-key needs --image (with --sealed-code alone the image and its key are made here)", ExitCodes.Usage);
            }

            // Sealed code without an image of its own: the module is packed alone into a fresh image (key made here, stored in the KMS).
            var javaScript = JavaScriptKind.Is(actionKind);
            using var sealedImage = sealing && mount is null
                ? SealedCodeImage.Pack(javaScript ? ReadSource(path) : ModuleFile.Read(path), javaScript)
                : null;
            var (imageBytes, key) = await ReadImageAsync(sealedImage?.ImagePath ?? mount?.Path, parse.GetValue(imageKey), cancel).ConfigureAwait(false);
            var options = new DeployOptions
            {
                Kind = actionKind,
                Main = parse.GetValue(main),
                SealedCode = sealing,
                ImageMount = mount?.MountPath,
                // A null array (and a bare null here) would convert to an empty, not an absent, ReadOnlyMemory.
                Image = imageBytes is null ? default(ReadOnlyMemory<byte>?) : imageBytes,
                ImageKey = key is null ? default(ReadOnlyMemory<byte>?) : key,
                MemoryMiB = parse.GetValue(memory),
                TimeoutMs = parse.GetValue(timeout),
                Env = ParseEnv(parse.GetValue(env) ?? []),
                Secrets = parse.GetValue(secrets) ?? [],
                Confidential = !parse.GetValue(plaintext),
            };
            try
            {
                return await DeployAsync(connection, parse, parse.GetRequiredValue(name), path, options, cancel).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        });
        return command;
    }

    /// <summary>The image and its key (from <paramref name="keyPath"/> or IMG.key); nothing when no image is given.</summary>
    private static async Task<(byte[]? Image, byte[]? Key)> ReadImageAsync(string? imagePath, string? keyPath, CancellationToken cancel)
    {
        if (imagePath is null)
        {
            return keyPath is null ? (null, null) : throw new CliFailure("--image-key needs --image", ExitCodes.Usage);
        }

        if (!File.Exists(imagePath))
        {
            throw new CliFailure($"image {imagePath} does not exist", ExitCodes.IoError);
        }

        var bytes = await File.ReadAllBytesAsync(imagePath, cancel).ConfigureAwait(false);
        byte[] id;
        try
        {
            id = ActionMeasurement.ImageReferenceOf(bytes).Id.ToArray();
        }
        catch (ArgumentException e)
        {
            throw new CliFailure($"{imagePath}: {e.Message}");
        }

        return (bytes, ImageKeySource.ForRunning(null, keyPath, imagePath, id));
    }

    private static async Task<int> DeployAsync(PlatformConnection connection, ParseResult parse, string action, string path, DeployOptions options,
        CancellationToken cancel)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new CliFailure(string.Join("; ", problems), ExitCodes.Usage);
        }

        var bytes = options.IsJavaScript ? ReadSource(path) : await ModuleFile.ReadAsync(path, cancel).ConfigureAwait(false);
        await using var client = connection.Connect(parse);
        DeployResult result;
        if (bytes.Length + (options.Image?.Length ?? 0) >= ProgressThreshold && !Console.IsErrorRedirected)
        {
            var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            result = await stderr.Progress().StartAsync(async context =>
            {
                var policy = context.AddTask("updating the KMS policy", maxValue: 1);
                var upload = context.AddTask($"uploading {action}", maxValue: 1);
                var progress = new InlineProgress(p =>
                {
                    if (p.Stage == DeployStage.Uploading && p.Total > 0)
                    {
                        upload.MaxValue = p.Total;
                        upload.Value = p.Sent;
                    }

                    if (p.Stage >= DeployStage.Finishing)
                    {
                        upload.Value = upload.MaxValue;
                    }

                    // Expanded before the upload, narrowed after it.
                    policy.Value = p.Stage switch
                    {
                        DeployStage.Measuring => 0,
                        DeployStage.UpdatingPolicy => 0.25,
                        DeployStage.StoringImageKey or DeployStage.Uploading => 0.5,
                        DeployStage.Finishing => 0.75,
                        _ => 1,
                    };
                });
                return await client.DeployAsync(action, bytes, options, progress, cancel).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        else
        {
            result = await client.DeployAsync(action, bytes, options, cancellationToken: cancel).ConfigureAwait(false);
        }

        Console.Out.WriteLine($"name        {result.Action.Name}");
        Console.Out.WriteLine($"version     {result.Action.Version}");
        Console.Out.WriteLine($"limits      {result.Action.MemoryMiB} MiB, {result.Action.TimeoutMs} ms");
        Console.Out.WriteLine(result.Measurement is null
            ? "measurement none (plaintext action: no enclave keys, no receipts)"
            : $"measurement {result.Measurement}");
        if (options.Image is { } deployedImage)
        {
            var reference = ActionMeasurement.ImageReferenceOf(deployedImage);
            Console.Out.WriteLine($"image       root {Convert.ToHexStringLower(reference.Root.Span)} ({deployedImage.Length} bytes); key in the KMS as secret "
                + $"'{ActionManifest.ImageKeySecretOf(action, reference)}'");
        }

        if (result.PolicyVersion is { } version)
        {
            Console.Out.WriteLine($"policy      v{version} of namespace '{await client.GetNamespaceAsync(cancel).ConfigureAwait(false)}'");
        }

        return ExitCodes.Ok;
    }

    /// <summary>The kind given, or the one the file's extension says: <c>nodejs:default</c> for <c>.js</c>, else WebAssembly (null).</summary>
    private static string? KindOf(string path, string? given)
    {
        if (given is not null)
        {
            return given == "wasm:wasi" || JavaScriptKind.Is(given)
                ? given
                : throw new CliFailure($"--kind '{given}' is not a kind Carapace runs: wasm:wasi, nodejs:default or nodejs:N", ExitCodes.Usage);
        }

        return string.Equals(Path.GetExtension(path), ".js", StringComparison.OrdinalIgnoreCase) ? JavaScriptKind.Default : null;
    }

    /// <summary>A JavaScript source file: its bytes, checked to be UTF-8 text of a size the platform takes.</summary>
    private static byte[] ReadSource(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"source file {path} does not exist", ExitCodes.IoError);
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length is 0 or > JavaScriptSettings.MaxSourceBytes)
        {
            throw new CliFailure($"{path} is {bytes.Length} bytes; a JavaScript action's source holds 1 to {JavaScriptSettings.MaxSourceBytes} bytes");
        }

        try
        {
            JavaScriptKind.Source(bytes);
        }
        catch (ArgumentException)
        {
            throw new CliFailure($"{path} is not UTF-8 text: a JavaScript action's source must be (a zipped Node.js package cannot run in Carapace)");
        }

        return bytes;
    }

    private static Dictionary<string, string> ParseEnv(string[] pairs)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliFailure($"--env expects K=V, not '{pair}'", ExitCodes.Usage);
            }

            env[pair[..equals]] = pair[(equals + 1)..];
        }

        return env;
    }

    private sealed class InlineProgress(Action<DeployProgress> report) : IProgress<DeployProgress>
    {
        public void Report(DeployProgress value) => report(value);
    }
}
