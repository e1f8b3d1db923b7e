using System.Globalization;
using Carapace.Envelope.Keys;
using Carapace.Kms.Audit;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Keys;
using Carapace.Kms.Policy;

namespace Carapace.Kms.Release;

/// <summary>
/// Releases the client-side edge keys of a chain (<see cref="ChainKeys"/>) to a client of its namespace, denying
/// everything the namespace's current policy does not grant; every release and denial is audited (key fingerprints,
/// never key bytes).
/// </summary>
/// <remarks>
/// The keys are derived exactly as <see cref="KeyReleaseService"/> derives them for the chain's enclaves — with
/// <see cref="MasterKey.Derive"/> from the namespace's chain master key — so the client's entry key is step 1's input
/// key, its exit key the last step's output key, and its log key of step <c>i</c> the key step <c>i</c> logs with.
/// This service trusts the client id it is given: the caller (the <c>/v1/client-keys</c> endpoint) has verified the
/// request's signature with that client's key in the current policy.
/// </remarks>
internal sealed class ClientKeyService(PolicyStore policies, KmsMasterKey master, AuditLog audit)
{
    /// <summary>The client edges of <paramref name="chain"/> of <paramref name="ns"/> for the authenticated client <paramref name="clientId"/>.</summary>
    /// <exception cref="KmsDeniedException"><see cref="KmsDenialReason.UnknownNamespace"/>, <see cref="KmsDenialReason.UnknownClient"/>
    /// or <see cref="KmsDenialReason.UnknownChain"/>; the denial is audited.</exception>
    /// <exception cref="InvalidDataException">The audit log's anchor is damaged, so the release cannot be recorded.</exception>
    public ChainKeys Release(string ns, string chain, string clientId)
    {
        try
        {
            return ReleaseCore(ns, chain, clientId);
        }
        catch (KmsDeniedException e)
        {
            RecordDenial(ns, chain, clientId, e);
            throw;
        }
    }

    /// <summary>Writes a <see cref="AuditKind.ClientKeysDenied"/> record (<paramref name="clientId"/> null when the request named none).</summary>
    public void RecordDenial(string ns, string chain, string? clientId, KmsDeniedException denial) =>
        audit.Append(AuditKind.ClientKeysDenied, ns, chain, new AuditDetails()
            .Add("client", clientId)
            .Add("reason", denial.Reason.ToString())
            .Add("message", denial.Message));

    private ChainKeys ReleaseCore(string ns, string chain, string clientId)
    {
        var policy = policies.Current(ns)?.Policy
            ?? throw new KmsDeniedException(KmsDenialReason.UnknownNamespace,
                $"client keys refused: namespace '{ns}' has no policy; its owners must set one first");
        if (!policy.Clients.Any(c => c.Id == clientId))
        {
            throw new KmsDeniedException(KmsDenialReason.UnknownClient,
                $"client keys refused: '{clientId}' is not a client of namespace '{ns}' (policy v{policy.Version}); "
                + "its owners must list the client's public key under \"clients\"");
        }

        var rule = policy.FindChain(chain)
            ?? throw new KmsDeniedException(KmsDenialReason.UnknownChain,
                $"client keys refused: chain '{chain}' is not in policy v{policy.Version} of namespace '{ns}'; "
                + "every deployed action and sequence is a chain of its own name");

        var steps = rule.Steps.Count;
        var edges = new List<EdgeKey>(steps + 2);
        try
        {
            using (var chainMaster = master.DeriveChainMaster(ns))
            {
                edges.Add(chainMaster.Derive(chain, 0, 1));
                edges.Add(chainMaster.Derive(chain, steps, steps + 1));
                for (var step = 1; step <= steps; step++)
                {
                    edges.Add(chainMaster.Derive(chain, step, 0));
                }
            }

            var keys = new ChainKeys(ns, chain, steps, policy.Version, edges);
            audit.Append(AuditKind.ClientKeysReleased, ns, chain, new AuditDetails()
                .Add("client", clientId)
                .Add("policyVersion", policy.Version.ToString(CultureInfo.InvariantCulture))
                .Add("steps", steps)
                .Add("edgeKeys", edges.Select(k => $"{k.ChainId} {k.FromStep}->{k.ToStep} {k.Id}")));
            return keys;
        }
        catch
        {
            edges.ForEach(k => k.Dispose());
            throw;
        }
    }
}
