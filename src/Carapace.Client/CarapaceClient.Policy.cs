using System.Security.Cryptography;
using Carapace.Client.Deployment;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client;

/// <summary>Owner-signed changes to the namespace's KMS policy and secrets.</summary>
public sealed partial class CarapaceClient
{
    /// <summary>Applies <paramref name="edit"/> to the namespace's current policy, bumps its version, signs it as the owner and submits it.</summary>
    /// <returns>The version now in force.</returns>
    private Task<ulong> UpdatePolicyAsync(Func<KmsPolicy, KmsPolicy> edit, CancellationToken cancellationToken) =>
        UpdatePolicyAsync((policy, _) => Task.FromResult<KmsPolicy?>(edit(policy)), cancellationToken);

    /// <summary>
    /// Applies <paramref name="edit"/> to the namespace's current policy (this client added to its clients), bumps the
    /// version, signs it as the owner and submits it; when another owner stored a version meanwhile, the edit is applied
    /// again to theirs. An edit that returns null, or the policy unchanged, stores nothing. The edit runs between
    /// reading the policy and submitting the next version, so what it checks holds for the version it edits: a
    /// concurrent update makes the submission fail as a rollback, and the edit is asked again.
    /// </summary>
    /// <returns>The version now in force.</returns>
    private async Task<ulong> UpdatePolicyAsync(Func<KmsPolicy, CancellationToken, Task<KmsPolicy?>> edit, CancellationToken cancellationToken)
    {
        var kms = await GetKmsAsync(cancellationToken).ConfigureAwait(false);
        var ns = await GetNamespaceAsync(cancellationToken).ConfigureAwait(false);
        var ownerPath = _profile.OwnerKeyPath ?? throw new CarapaceClientException(
            $"the profile {_profile.Source} names no owner key ('ownerKey' in platform.json); deploying a confidential action changes the "
            + "namespace's KMS policy, which only its owners may sign");
        var ownerId = _profile.OwnerId ?? "owner";
        var client = ClientPrincipal();
        await _policyUpdate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var owner = OwnerKey.Load(ownerPath);
            for (var attempt = 1; ; attempt++)
            {
                var current = await kms.GetPolicyAsync(ns, cancellationToken).ConfigureAwait(false);
                KmsPolicy policy;
                if (current is null)
                {
                    policy = PolicyEdits.Initial(ns, new PolicyPrincipal { Id = ownerId, PublicKey = owner.PublicKeyBase64 }, client, Tee);
                }
                else
                {
                    policy = KmsPolicy.Parse(current.PolicyText);
                    if (!policy.Owners.Any(o => o.Id == ownerId))
                    {
                        throw new CarapaceClientException($"'{ownerId}' is not an owner of namespace '{ns}' (policy v{policy.Version} names "
                            + $"{string.Join(", ", policy.Owners.Select(o => o.Id))}); use an owner's key, or ask an owner to add this one");
                    }

                    if (!policy.AllowSimulation && Tee.IsSimulated)
                    {
                        throw new CarapaceClientException($"namespace '{ns}' policy v{policy.Version} refuses simulation evidence, and this platform's "
                            + "enclaves are simulated; an owner must set \"allowSimulation\": true ('carapace policy set') to run confidential actions here");
                    }
                }

                var edited = await edit(client is null ? policy : PolicyEdits.WithClient(policy, client), cancellationToken).ConfigureAwait(false);
                if (edited is null || (current is not null && PolicyEdits.SameContent(edited, policy)))
                {
                    return policy.Version;
                }

                var next = edited with { Version = policy.Version + 1 };
                try
                {
                    var update = await kms.SetPolicyAsync(PolicySigner.Sign(next.ToJson(), ownerId, owner).ToJson(), cancellationToken).ConfigureAwait(false);
                    RetireSessions();
                    return update.Version;
                }
                catch (PolicyException e) when (e.Reason == PolicyRejection.Rollback && attempt < PolicyAttempts)
                {
                    // Another owner stored a version meanwhile: apply the edit to theirs.
                }
            }
        }
        finally
        {
            _policyUpdate.Release();
        }
    }

    /// <summary>
    /// Stores image key <paramref name="value"/> as secret <paramref name="secret"/> of the namespace in the KMS, signed with
    /// the profile's owner key. A secret write needs the approvals (k of n owners) the namespace's policy requires, and
    /// this client signs as one owner: where k is 1 it stores the value; where k is more it uses a value the owners have
    /// already stored together (<c>carapace secret put/approve/submit</c>), and otherwise says how to store one.
    /// </summary>
    /// <exception cref="CarapaceClientException">The profile names no owner key, or k &gt; 1 and the owners have not stored the key.</exception>
    private async Task StoreImageKeyAsync(string secret, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var kms = await GetKmsAsync(cancellationToken).ConfigureAwait(false);
        var ns = await GetNamespaceAsync(cancellationToken).ConfigureAwait(false);
        var ownerPath = _profile.OwnerKeyPath ?? throw new CarapaceClientException(
            $"the profile {_profile.Source} names no owner key ('ownerKey' in platform.json); storing secret '{secret}' needs an owner's signature");
        var ownerId = _profile.OwnerId ?? "owner";
        using var owner = OwnerKey.Load(ownerPath);
        var current = await kms.GetPolicyAsync(ns, cancellationToken).ConfigureAwait(false);
        if (current is not null && KmsPolicy.Parse(current.PolicyText) is { Approvals: > 1 } policy)
        {
            var stored = (await kms.ListSecretsAsync(ns, owner, ownerId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(e => e.Name == secret);
            if (stored is { Version: not null })
            {
                return;
            }

            throw new CarapaceClientException(
                $"storing the image key as secret '{secret}' of namespace '{ns}' needs {policy.Approvals} of {policy.Owners.Count} owner approvals "
                + $"(policy v{policy.Version}), and this client signs as one owner: use 'carapace secret put {ns}/{secret} --image-key IMG.key "
                + "--sign KEY --out REQUEST', then 'carapace secret approve REQUEST --sign KEY' by the other owners and 'carapace secret submit REQUEST'; "
                + "then deploy again (it uses the stored key)");
        }

        var copy = value.ToArray();
        try
        {
            await kms.PutSecretAsync(ns, secret, copy, owner, ownerId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    private PolicyPrincipal? ClientPrincipal()
    {
        if (_profile.ClientKeyPath is not { } path)
        {
            return null;
        }

        using var key = OwnerKey.Load(path);
        return new PolicyPrincipal { Id = _profile.ClientId ?? "client", PublicKey = key.PublicKeyBase64 };
    }

    /// <summary>
    /// Drops the cached chain sessions (the policy changed), in memory and in the on-disk key cache; those in memory are
    /// zeroed when the client is disposed.
    /// </summary>
    private void RetireSessions()
    {
        lock (_sessionsLock)
        {
            _retired.AddRange(_sessions.Values);
            _sessions.Clear();
        }

        _options.KeyCache?.Clear();
    }
}
