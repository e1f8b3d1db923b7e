using Carapace.Kms.Client.Release;
using Microsoft.AspNetCore.Http;

namespace Carapace.Kms.Server;

/// <summary>
/// The outcome of checking a signed request: the signer's id, or the status, reason and message to answer with.
/// <paramref name="Claimed"/> is the id the request named when it is a valid name (for the audit log), whether or not it was accepted.
/// </summary>
internal sealed record SignerCheck(string? SignerId, string? Claimed, int Status, string Reason, string Message)
{
    public static SignerCheck Accepted(string signerId) => new(signerId, signerId, StatusCodes.Status200OK, "", "");

    /// <summary>The refusal as a denial; only for client requests, whose every refusal reason is a <see cref="KmsDenialReason"/>.</summary>
    public KmsDeniedException ToDenial() => new(Enum.Parse<KmsDenialReason>(Reason), Message);
}
