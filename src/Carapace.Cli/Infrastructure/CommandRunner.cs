using System.CommandLine;
using Carapace.Envelope;
using Carapace.Envelope.Keys;

namespace Carapace.Cli.Infrastructure;

/// <summary>
/// Runs a command body and turns every failure into one clear stderr line and an exit code. Messages come from
/// the envelope and key APIs, which never put key bytes or plaintext into them.
/// </summary>
internal static class CommandRunner
{
    public static void SetHandler(this Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, cancel) =>
        {
            try
            {
                return await body(parse, cancel).ConfigureAwait(false);
            }
            catch (EnvelopeException e)
            {
                return Fail(e.Message, ExitCodes.Rejected);
            }
            catch (KeyFileException e)
            {
                return Fail(e.Message, ExitCodes.Rejected);
            }
            catch (CliFailure e)
            {
                return Fail(e.Message, e.ExitCode);
            }
            catch (OperationCanceledException)
            {
                return Fail("interrupted", ExitCodes.Interrupted);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(e.Message, ExitCodes.IoError);
            }
            catch (ArgumentException e)
            {
                return Fail(e.Message, ExitCodes.Usage);
            }
        });

    public static int Fail(string message, int code)
    {
        Console.Error.WriteLine("carapace: " + message);
        return code;
    }
}
