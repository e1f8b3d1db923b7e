using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;

namespace Carapace.Cli.Kms;

/// <summary>The owner a <c>--sign KEY</c> option names in a namespace's current policy, read from the KMS.</summary>
internal static class OwnerSession
{
    /// <summary>The owner's id and key; the caller disposes the key.</summary>
    public static async Task<(string Id, OwnerKey Key)> ResolveAsync(KmsClient client, string ns, string keyArgument, CancellationToken cancel)
    {
        var current = await client.GetPolicyAsync(ns, cancel).ConfigureAwait(false)
            ?? throw new CliFailure($"namespace '{ns}' has no policy; its owners set one first with 'carapace policy set'");
        return OwnerSigners.Load([keyArgument], ns, KmsPolicy.Parse(current.PolicyText).Owners).Single();
    }
}
