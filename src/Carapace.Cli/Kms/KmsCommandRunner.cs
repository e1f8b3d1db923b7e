using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Kms;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;

namespace Carapace.Cli.Kms;

/// <summary>
/// Runs a KMS command body through <see cref="CommandRunner"/>, turning the KMS's typed errors into one line and an
/// exit code: an untrusted KMS, a denial, a rejected policy, a refused secret write, a refused request or a bad owner key file is 1; a KMS that
/// cannot be reached is 3. Their messages never contain secret values or key bytes.
/// </summary>
internal static class KmsCommandRunner
{
    public static void SetKmsHandler(this Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetHandler(async (parse, cancel) =>
        {
            try
            {
                return await body(parse, cancel).ConfigureAwait(false);
            }
            catch (KmsTrustException e)
            {
                throw new CliFailure("refusing to talk to the KMS: " + e.Message);
            }
            catch (KmsDeniedException e)
            {
                throw new CliFailure($"denied ({e.Reason}): {e.Message}");
            }
            catch (PolicyException e)
            {
                throw new CliFailure($"rejected ({e.Reason}): " + OneLine(e.Message, e.Errors));
            }
            catch (SecretWriteException e)
            {
                throw new CliFailure($"refused ({e.Reason}): " + OneLine(e.Message, e.Errors));
            }
            catch (KmsRequestException e) when (e.StatusCode is null)
            {
                throw new CliFailure(e.Message, ExitCodes.IoError);
            }
            catch (KmsRequestException e)
            {
                throw new CliFailure($"refused ({(int)e.StatusCode!}{(e.Reason is null ? "" : " " + e.Reason)}): {e.Message}");
            }
            catch (KmsKeyFileException e)
            {
                throw new CliFailure(e.Message);
            }
        });

    /// <summary>A rejection on one line: what was wrong, then every problem separated by "; ".</summary>
    private static string OneLine(string message, IReadOnlyList<string> errors)
    {
        var headline = message.Split('\n')[0];
        return errors.Count <= 1 ? headline : headline.TrimEnd(':') + ": " + string.Join("; ", errors);
    }
}
