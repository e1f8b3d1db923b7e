using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Kms;
using Carapace.Client;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Client.Invocation;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Platform;

/// <summary>
/// Runs a platform client command body through <see cref="KmsCommandRunner"/>, also turning the client's typed errors
/// into one line and an exit code: a gateway that cannot be reached or did not answer is 3; a refusal, an untrusted
/// gateway, a failed invocation, untrusted receipts, a missing or damaged profile, a deploy left half-way is 1. Messages never contain keys,
/// credentials, inputs or outputs.
/// </summary>
internal static class PlatformCommandRunner
{
    public static void SetPlatformHandler(this Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetKmsHandler(async (parse, cancel) =>
        {
            try
            {
                return await body(parse, cancel).ConfigureAwait(false);
            }
            catch (GatewayException e) when (e.Failure is GatewayFailure.Unreachable or GatewayFailure.TimedOut)
            {
                throw new CliFailure(e.Message, ExitCodes.IoError);
            }
            catch (GatewayException e)
            {
                throw new CliFailure(e.Message);
            }
            catch (InvocationException e)
            {
                throw new CliFailure(e.Message);
            }
            catch (CarapaceClientException e)
            {
                throw new CliFailure(e.Message);
            }
            catch (DeployException e)
            {
                // Half-way: the message says what is left and how to finish.
                throw new CliFailure(e.Message);
            }
            catch (PlatformProfileException e)
            {
                throw new CliFailure(e.Message);
            }
            catch (Carapace.Kms.Client.KmsRequestException e) when (e.StatusCode is null)
            {
                // The platform restarts a KMS that died; say how to see whether that is what is happening.
                throw new CliFailure(e.Message + "; if the platform's KMS is restarting, 'carapace status' says so (retry in a few seconds)", ExitCodes.IoError);
            }
        });
}
