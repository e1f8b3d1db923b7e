using System.CommandLine;
using Carapace.Envelope.Format;

namespace Carapace.Cli.Infrastructure;

/// <summary>Options several commands share, built fresh for each command.</summary>
internal static class CommonOptions
{
    public static Option<string> Key() => new("--key")
    {
        Description = "Master key file (from 'carapace key new').",
        Required = true,
        HelpName = "FILE",
    };

    public static Option<string?> Chain(string description) => new("--chain") { Description = description, HelpName = "ID" };

    public static Option<int?> Step(string description)
    {
        var option = new Option<int?>("--step") { Description = description, HelpName = "N" };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0)
            {
                r.AddError("--step must be 0 or more");
            }
        });
        return option;
    }

    public static Option<string?> In() => new("--in") { Description = "Read from FILE instead of standard input.", HelpName = "FILE" };

    public static Option<string?> Out() => new("--out")
    {
        Description = "Write to FILE (created only when the command succeeds) instead of standard output.",
        HelpName = "FILE",
    };

    public static Option<long?> Size(string name, string description)
    {
        var option = new Option<long?>(name)
        {
            Description = description,
            HelpName = "SIZE",
            CustomParser = r =>
            {
                var token = r.Tokens.Single().Value;
                if (ByteSize.TryParse(token, out var bytes))
                {
                    return bytes;
                }

                r.AddError($"{name} expects a size such as 65536, 64KiB or 1MiB, not '{token}'");
                return null;
            },
        };
        return option;
    }

    /// <summary>Parses 32 hex digits into a request id, reporting a usage error otherwise.</summary>
    public static Option<RequestId?> RequestIdOption() => new("--request-id")
    {
        Description = "Request id to use (32 hex digits); reuse the original one when resealing a retry. Default: a fresh random id.",
        HelpName = "HEX",
        CustomParser = r =>
        {
            var token = r.Tokens.Single().Value;
            if (RequestId.TryParse(token, out var id))
            {
                return id;
            }

            r.AddError($"--request-id expects 32 hex digits, not '{token}'");
            return null;
        },
    };
}
