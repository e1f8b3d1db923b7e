using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Functions;

namespace Carapace.Cli.Functions;

/// <summary>
/// The options that make up a function manifest, shared by <c>run</c> and <c>measure</c> so that the same options
/// always give the same manifest and therefore the same measurement.
/// </summary>
internal sealed class ManifestOptions
{
    private readonly Option<long?> _memory = CommonOptions.Size("--memory", "Linear memory limit (default 64MiB, at most 4GiB).");
    private readonly Option<TimeSpan?> _timeout = new("--timeout")
    {
        Description = "Wall-clock limit of one invocation, e.g. 5s, 500ms, 1m (default 5s).",
        HelpName = "TIME",
        CustomParser = r =>
        {
            var token = r.Tokens.Single().Value;
            if (Duration.TryParse(token, out var d))
            {
                return d;
            }

            r.AddError($"--timeout expects a duration such as 5s, 500ms or 1m, not '{token}'");
            return null;
        },
    };

    private readonly Option<long?> _fuel = new("--fuel") { Description = "Instruction budget per invocation (fuel metering; default: none).", HelpName = "N" };
    private readonly Option<string[]> _args = new("--arg") { Description = "An argument for the function (argv[1…]); may repeat.", HelpName = "A" };
    private readonly Option<string[]> _env = new("--env") { Description = "An environment variable K=V for the function; may repeat. Nothing else is visible to it.", HelpName = "K=V" };
    private readonly Option<long?> _tmp = CommonOptions.Size("--tmp", "Size limit of the function's in-enclave /tmp (default 16MiB; 0 for none).");
    private readonly Option<string?> _name = new("--name") { Description = "The function's name (argv[0]); default: the module's file name.", HelpName = "NAME" };

    public void AddTo(Command command)
    {
        command.Add(_memory);
        command.Add(_timeout);
        command.Add(_fuel);
        command.Add(_args);
        command.Add(_env);
        command.Add(_tmp);
        command.Add(_name);
    }

    /// <summary>Builds the manifest for <paramref name="modulePath"/>; problems are usage errors.</summary>
    public FunctionManifest Build(ParseResult parse, string modulePath, ImageReference? image)
    {
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var pair in parse.GetValue(_env) ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliFailure($"--env expects K=V, not '{pair}'", ExitCodes.Usage);
            }

            environment.Add(new(pair[..eq], pair[(eq + 1)..]));
        }

        var manifest = new FunctionManifest
        {
            Name = parse.GetValue(_name) ?? Path.GetFileNameWithoutExtension(modulePath),
            Arguments = parse.GetValue(_args) ?? [],
            Environment = environment,
            MemoryBytes = parse.GetValue(_memory) ?? FunctionManifest.DefaultMemoryBytes,
            TimeoutMilliseconds = (long)(parse.GetValue(_timeout)?.TotalMilliseconds ?? FunctionManifest.DefaultTimeoutMilliseconds),
            Fuel = parse.GetValue(_fuel) ?? 0,
            TmpBytes = parse.GetValue(_tmp) ?? 16L << 20,
            Image = image,
        };
        try
        {
            manifest.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliFailure(e.Message, ExitCodes.Usage);
        }

        return manifest;
    }
}
