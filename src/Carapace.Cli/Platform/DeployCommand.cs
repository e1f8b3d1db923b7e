using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Deployment;
using Spectre.Console;

namespace Carapace.Cli.Platform;

/// <summary><c>carapace deploy NAME MODULE.wasm</c>: store an action and name its measurement in the namespace's KMS policy.</summary>
internal static class DeployCommand
{
    /// <summary>Modules at least this large get a progress bar (when stderr is a terminal).</summary>
    private const long ProgressThreshold = 4L * 1024 * 1024;

    public static Command Build()
    {
        var name = new Argument<string>("NAME") { Description = "The action's name (also its chain's name)." };
        var module = new Argument<string>("MODULE") { Description = "The WebAssembly module (.wasm, WASI preview 1)." };
        var memory = new Option<int>("--memory")
        {
            Description = $"Memory limit in MiB (at least {DeployOptions.MinMemoryMiB}).",
            HelpName = "MiB",
            DefaultValueFactory = _ => 256,
        };
        var timeout = new Option<int>("--timeout") { Description = "Time limit in milliseconds.", HelpName = "MS", DefaultValueFactory = _ => 60_000 };
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
        var plaintext = new Option<bool>("--plaintext")
        {
            Description = "Deploy a plaintext action (JSON in and out, no envelopes, no KMS): for comparison and plain OpenWhisk clients.",
        };
        var connection = new PlatformConnection();
        var command = new Command("deploy",
            "Deploy (or update) an action. A confidential action (the default) is measured here, and the namespace's KMS policy, signed with the " +
            "owner key of the profile, then accepts exactly that measurement for the function and its one-step chain NAME.")
        {
            name, module, memory, timeout, secrets, env, plaintext,
        };
        connection.AddTo(command);
        Examples.Set(command,
            "carapace deploy hello examples/out/hello.wasm",
            "carapace deploy wc examples/out/wordcount.wasm --memory 128 --timeout 5000 --env MODE=fast",
            "carapace deploy signer signer.wasm --secret signing-key",
            "carapace deploy shout examples/out/hello.wasm --plaintext");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            var options = new DeployOptions
            {
                MemoryMiB = parse.GetValue(memory),
                TimeoutMs = parse.GetValue(timeout),
                Env = ParseEnv(parse.GetValue(env) ?? []),
                Secrets = parse.GetValue(secrets) ?? [],
                Confidential = !parse.GetValue(plaintext),
            };
            var problems = options.Validate();
            if (problems.Count > 0)
            {
                throw new CliFailure(string.Join("; ", problems), ExitCodes.Usage);
            }

            var path = parse.GetRequiredValue(module);
            if (!File.Exists(path))
            {
                throw new CliFailure($"module file {path} does not exist", ExitCodes.IoError);
            }

            var bytes = await File.ReadAllBytesAsync(path, cancel).ConfigureAwait(false);
            await using var client = connection.Connect(parse);
            var action = parse.GetRequiredValue(name);
            DeployResult result;
            if (bytes.Length >= ProgressThreshold && !Console.IsErrorRedirected)
            {
                var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                result = await stderr.Progress().StartAsync(async context =>
                {
                    var upload = context.AddTask($"uploading {action}", maxValue: 1);
                    var seal = context.AddTask("updating the KMS policy", maxValue: 1);
                    var progress = new InlineProgress(p =>
                    {
                        if (p.Stage == DeployStage.Uploading && p.Total > 0)
                        {
                            upload.MaxValue = p.Total;
                            upload.Value = p.Sent;
                        }
                        else if (p.Stage >= DeployStage.Measuring)
                        {
                            upload.Value = upload.MaxValue;
                            seal.Value = p.Stage == DeployStage.Done ? 1 : 0.5;
                        }
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
            if (result.PolicyVersion is { } version)
            {
                Console.Out.WriteLine($"policy      v{version} of namespace '{await client.GetNamespaceAsync(cancel).ConfigureAwait(false)}'");
            }

            return ExitCodes.Ok;
        });
        return command;
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
