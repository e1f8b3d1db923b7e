using System.Collections.Concurrent;
using Carapace.Cluster.Grains;
using Carapace.Controller.Registry;
using Carapace.Gateway.Invocations;
using Carapace.Protocol;

namespace Carapace.Cluster.Nodes;

/// <summary>
/// A gateway node's trusted edge seen from worker nodes: it provisions the enclaves of plaintext actions whose
/// payloads this node seals, with provisioning sealed to each enclave, and checks their confirmations. The keys never
/// leave this process. Open sessions are bounded in number and age.
/// </summary>
internal sealed class EdgeProvisioning(PlaintextBridge bridge, ActionRegistry registry, TimeProvider time)
{
    /// <summary>Most provisioning sessions waiting for their enclave's confirmation.</summary>
    public const int MaxOpenSessions = 1024;

    /// <summary>How long a session waits for its confirmation.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, (IProvisioningSession Session, long Opened)> _sessions = new();

    /// <summary>Provisioning for the enclave that announced <paramref name="ready"/>, for the plaintext action named.</summary>
    /// <exception cref="InvalidOperationException">The action is gone or changed, is confidential, or too many sessions are open.</exception>
    public ProvisionReply Provision(string path, string version, long updatedTicks, byte[] ready)
    {
        Sweep();
        if (_sessions.Count >= MaxOpenSessions)
        {
            throw new InvalidOperationException($"this gateway node has {MaxOpenSessions} enclave provisionings waiting for confirmation; try again shortly");
        }

        var (action, problem) = ActionVersions.Find(registry, path, version, updatedTicks);
        if (action is null || action.Confidential)
        {
            throw new InvalidOperationException(problem ?? $"the action {path} is confidential: its enclaves get their keys from the KMS");
        }

        var session = bridge.ProvisionerFor(action)(ReadyMessage.Decode(ready));
        var id = Guid.NewGuid();
        _sessions[id] = (session, time.GetTimestamp());
        return new ProvisionReply { Session = id, PublicKey = session.PublicKey.ToArray(), SealedProvisioning = session.SealedProvisioning.ToArray() };
    }

    /// <summary>Whether the enclave's confirmation proves it loaded what <paramref name="id"/> provisioned; the session ends either way.</summary>
    public bool Confirm(Guid id, byte[] specialized)
    {
        if (!_sessions.TryRemove(id, out var entry))
        {
            return false;
        }

        using (entry.Session)
        {
            try
            {
                return entry.Session.Confirms(SpecializedMessage.Decode(specialized));
            }
            catch (ProtocolException)
            {
                return false;
            }
        }
    }

    private void Sweep()
    {
        foreach (var (id, entry) in _sessions)
        {
            if (time.GetElapsedTime(entry.Opened) > SessionLifetime && _sessions.TryRemove(id, out var expired))
            {
                expired.Session.Dispose();
            }
        }
    }
}
