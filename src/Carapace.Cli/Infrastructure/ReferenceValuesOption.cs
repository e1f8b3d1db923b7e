using System.CommandLine;
using Carapace.Functions;

namespace Carapace.Cli.Infrastructure;

/// <summary><c>--reference-values FILE</c>: the reference values whose runtime identity measurements start from.</summary>
internal static class ReferenceValuesOption
{
    public static Option<string?> Create() => new("--reference-values")
    {
        Description = $"The reference-values file whose runtime identity every measurement starts from. Default: ${ReferenceValues.EnvironmentVariable} " +
            $"when set, else {ReferenceValues.EnclaveFolder}/{ReferenceValues.FileName} beside carapace, written by the build with the native enclave.",
        HelpName = "FILE",
    };

    /// <summary>Loads the reference values the option (or the default) names; a missing, unreadable or malformed file ends the command (exit 3) with its reason.</summary>
    public static ReferenceValues Load(ParseResult parse, Option<string?> option) => Load(parse.GetValue(option));

    /// <summary>Loads the reference values at <paramref name="path"/> (null: the default), as <see cref="Load(ParseResult, Option{string?})"/>.</summary>
    public static ReferenceValues Load(string? path)
    {
        try
        {
            return ReferenceValues.Load(path);
        }
        catch (ReferenceValuesException e)
        {
            throw new CliFailure(e.Message, ExitCodes.IoError);
        }
    }
}
