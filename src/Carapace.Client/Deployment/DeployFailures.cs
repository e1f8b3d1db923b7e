using System.Net.Sockets;
using Carapace.Client.Gateway;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client.Deployment;

/// <summary>How a deploy reads the failures of its steps: whether one may still have taken effect, and how to say why.</summary>
internal static class DeployFailures
{
    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are the same stored revision of an action (or both none).</summary>
    public static bool SameRevision(GatewayAction? a, GatewayAction? b) =>
        a is null ? b is null : b is not null && a.Version == b.Version && a.Updated == b.Updated;

    /// <summary>
    /// Whether a failed request may still have been carried out: no answer came (timeout, lost connection, cancelled),
    /// or one that could not be read. A refusal, a refused connection and an untrusted gateway are certain failures.
    /// </summary>
    public static bool MayHaveArrived(Exception e) => e switch
    {
        GatewayException { Failure: GatewayFailure.Rejected or GatewayFailure.Untrusted } => false,
        GatewayException { Failure: GatewayFailure.Unreachable } g => !ConnectionRefused(g),
        _ => true,
    };

    private static bool ConnectionRefused(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An error's message as a clause (the client's messages never carry keys, secrets or payloads).</summary>
    public static string Reason(Exception e) => e switch
    {
        OperationCanceledException => "cancelled or timed out",
        PolicyException { Errors.Count: > 1 } p => p.Message.Split('\n')[0].TrimEnd(':') + ": " + string.Join("; ", p.Errors.Select(e => e.TrimEnd('.'))),
        _ => e.Message.TrimEnd('.'),
    };
}
