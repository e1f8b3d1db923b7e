namespace Carapace.Cli.Infrastructure;

/// <summary>A failure the user can act on: printed as one line <c>carapace: MESSAGE</c>, with an exit code.</summary>
internal sealed class CliFailure(string message, int exitCode = ExitCodes.Rejected) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
