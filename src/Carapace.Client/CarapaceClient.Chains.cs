using System.Net;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Kms.Client.Policy;
using static Carapace.Client.Deployment.DeployFailures;

namespace Carapace.Client;

/// <summary>Chains and deletes: the policy changes first, and is put back when the gateway then fails.</summary>
public sealed partial class CarapaceClient
{
    /// <summary>
    /// Creates (or replaces) chain <paramref name="name"/>: a sequence action of the deployed confidential actions
    /// <paramref name="steps"/>, and the policy chain of those functions, whose edge keys the KMS derives. The policy
    /// chain is stored first; if the gateway then refuses the sequence, the policy chain is put back as it was.
    /// </summary>
    /// <remarks>
    /// A chain is one entry per name, so replacing a chain with other steps cannot keep both: between the policy write
    /// and the sequence write the previous sequence is refused its keys (cleanly, never run with the wrong ones).
    /// </remarks>
    /// <exception cref="ArgumentException">No steps, or an empty step name.</exception>
    /// <exception cref="CarapaceClientException">A step is not a function of the policy, or <paramref name="name"/> is an action that is not a sequence.</exception>
    /// <exception cref="GatewayException">The gateway refused the sequence. Nothing was changed.</exception>
    /// <exception cref="DeployException">The gateway refused the sequence and the policy chain could not be put back.</exception>
    public async Task<DeployResult> CreateChainAsync(string name, IReadOnlyList<string> steps, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0 || steps.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"chain '{name}' needs at least one step, each the name of a deployed action", nameof(steps));
        }

        if (await FindActionAsync(name, cancellationToken).ConfigureAwait(false) is { Kind: not "sequence" } existing)
        {
            throw new CarapaceClientException($"'{name}' is already an action ({existing.Kind}); a chain needs a name of its own");
        }

        var ns = await GetNamespaceAsync(cancellationToken).ConfigureAwait(false);
        PolicyChain? chainBefore = null;
        var version = await UpdatePolicyAsync(policy =>
        {
            var unknown = steps.Where(s => policy.FindFunction(s) is null).Distinct(StringComparer.Ordinal).ToList();
            chainBefore = policy.FindChain(name);
            return unknown.Count == 0 ? PolicyEdits.WithChain(policy, name, steps)
                : throw new CarapaceClientException($"chain '{name}' names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which "
                    + $"{(unknown.Count == 1 ? "is" : "are")} not a confidential function of namespace '{ns}'; deploy {(unknown.Count == 1 ? "it" : "them")} first with 'carapace deploy'");
        }, cancellationToken).ConfigureAwait(false);

        string[] components = [.. steps.Select(s => $"/{ns}/{s}")];
        try
        {
            var action = await Gateway.PutSequenceAsync(name, components, overwrite: true, cancellationToken).ConfigureAwait(false);
            return new DeployResult(action, null, version);
        }
        catch (Exception e)
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            if (MayHaveArrived(e))
            {
                GatewayAction? now;
                try
                {
                    now = await FindActionAsync(name, cleanup.Token).ConfigureAwait(false);
                }
                catch (Exception probe)
                {
                    throw new DeployException(DeployFailureState.Unknown,
                        $"the gateway's answer to storing sequence '{name}' was lost ({Reason(e)}), and asking again failed ({Reason(probe)}): the "
                        + $"policy already has chain '{name}' as {string.Join(" → ", steps)}. Run the same 'carapace chain create' again", e, probe);
                }

                if (now is { Kind: "sequence" } && now.Components.SequenceEqual(components, StringComparer.Ordinal))
                {
                    return new DeployResult(now, null, version);
                }
            }

            try
            {
                await UpdatePolicyAsync(p => PolicyEdits.RestoreChain(p, name, steps, chainBefore), cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception undo)
            {
                throw new DeployException(DeployFailureState.NotDeployedPolicyChanged,
                    $"storing sequence '{name}' failed ({Reason(e)}), and putting the policy's chain '{name}' back failed too ({Reason(undo)}): the "
                    + $"policy has chain '{name}' as {string.Join(" → ", steps)}, the gateway {(chainBefore is null ? "has no such sequence" : "the previous one")}. "
                    + $"Run the same 'carapace chain create' again, or {(chainBefore is null ? "remove the chain" : "restore it")} with 'carapace policy set'",
                    e, undo);
            }

            throw;
        }
    }

    /// <summary>
    /// Deletes action (or chain) <paramref name="name"/> and, when the profile has the owner key, removes its chain
    /// from the policy, and its function unless another chain still uses it, so no enclave gets its keys any more. The
    /// policy goes first (revoking before deleting); if the gateway then fails to delete, the policy entries are put back.
    /// </summary>
    /// <exception cref="GatewayException">It does not exist (404), or another failure. Nothing was changed.</exception>
    /// <exception cref="DeployException">The gateway failed to delete it and the policy entries could not be put back.</exception>
    public async Task<DeployResult> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        var action = await Gateway.GetActionAsync(name, withCode: false, cancellationToken).ConfigureAwait(false);
        if (!action.Confidential || _profile.OwnerKeyPath is null)
        {
            return new DeployResult(await Gateway.DeleteActionAsync(name, cancellationToken).ConfigureAwait(false), null, null);
        }

        var kms = await GetKmsAsync(cancellationToken).ConfigureAwait(false);
        var current = await kms.GetPolicyAsync(await GetNamespaceAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var policy = current is null ? null : KmsPolicy.Parse(current.PolicyText);
        if (policy is null || (policy.FindChain(name) is null && policy.FindFunction(name) is null))
        {
            return new DeployResult(await Gateway.DeleteActionAsync(name, cancellationToken).ConfigureAwait(false), null, null);
        }

        PolicyFunction? removedFunction = null;
        PolicyChain? removedChain = null;
        var version = await UpdatePolicyAsync(p =>
        {
            var without = PolicyEdits.Without(p, name);
            removedFunction = without.FindFunction(name) is null ? p.FindFunction(name) : null;
            removedChain = p.FindChain(name);
            return without;
        }, cancellationToken).ConfigureAwait(false);

        try
        {
            return new DeployResult(await Gateway.DeleteActionAsync(name, cancellationToken).ConfigureAwait(false), null, version);
        }
        catch (GatewayException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted meanwhile by someone else: what was asked for holds.
            return new DeployResult(action, null, version);
        }
        catch (Exception e)
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            if (MayHaveArrived(e))
            {
                try
                {
                    if (await FindActionAsync(name, cleanup.Token).ConfigureAwait(false) is null)
                    {
                        return new DeployResult(action, null, version);
                    }
                }
                catch (GatewayException)
                {
                    // Unknown: put the policy back, which is right if it is still there and harmless (no code to run) if not.
                }
            }

            try
            {
                await UpdatePolicyAsync(p => PolicyEdits.Restore(p, removedFunction, removedChain), cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception undo)
            {
                throw new DeployException(DeployFailureState.DeleteIncomplete,
                    $"deleting '{name}' at the gateway failed ({Reason(e)}), after the policy stopped accepting it, and putting the policy entries "
                    + $"back failed too ({Reason(undo)}): the gateway still has '{name}' but no enclave gets its keys. Run 'carapace actions delete {name}' "
                    + "again, or deploy it again", e, undo, action);
            }

            throw;
        }
    }

    /// <summary>Action <paramref name="name"/> without its code, or null when the gateway has none.</summary>
    private async Task<GatewayAction?> FindActionAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Gateway.GetActionAsync(name, withCode: false, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
