namespace Carapace.Cli.Infrastructure;

/// <summary>Process exit codes of the <c>carapace</c> command (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The input was rejected: a tampered, truncated or malformed envelope, a wrong key, a bad key file.</summary>
    public const int Rejected = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>An I/O problem outside the envelope (a file could not be read or written).</summary>
    public const int IoError = 3;

    /// <summary>Interrupted (Ctrl-C).</summary>
    public const int Interrupted = 130;

    /// <summary>A bug in carapace.</summary>
    public const int InternalError = 70;
}
