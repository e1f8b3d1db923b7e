using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;

namespace Carapace.Kms.Server;

/// <summary>Who signs a request (see <see cref="SignedRequestAuthenticator"/>): an owner or a client of the namespace's current policy.</summary>
/// <param name="Header">The header naming the signer.</param>
/// <param name="Noun">The signer's role in messages.</param>
/// <param name="WithArticle">The role with its article ("an owner").</param>
/// <param name="Principals">The principals of the role in a policy.</param>
/// <param name="UnknownReason">The reason answered when the signer is not one of them.</param>
/// <param name="UnknownHint">What to do then.</param>
internal sealed record RequestSigner(
    string Header, string Noun, string WithArticle, Func<KmsPolicy, IReadOnlyList<PolicyPrincipal>> Principals, string UnknownReason, string UnknownHint)
{
    /// <summary>An owner: secret uploads and audit reads.</summary>
    public static readonly RequestSigner Owner = new(OwnerRequestSignature.OwnerHeader, "owner", "an owner", p => p.Owners, "NotAnOwner",
        "only its owners may do this");

    /// <summary>A client: the client-side edge keys of a chain.</summary>
    public static readonly RequestSigner Client = new(OwnerRequestSignature.ClientHeader, "client", "a client", p => p.Clients,
        nameof(KmsDenialReason.UnknownClient), "its owners must list the client's public key under \"clients\"");
}
