using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;

namespace Carapace.Client.Invocation;

/// <summary>What a client needs to invoke one chain: its edge keys and the policy (version) they were released under.</summary>
internal sealed class ChainSession(ChainKeys keys, KmsPolicy policy, PolicyChain chain, bool fromDisk = false) : IDisposable
{
    /// <summary>Whether the keys came from the on-disk key cache rather than from the KMS in this run.</summary>
    public bool FromDisk { get; } = fromDisk;

    public ChainKeys Keys { get; } = keys;

    public KmsPolicy Policy { get; } = policy;

    public PolicyChain Chain { get; } = chain;

    public void Dispose() => Keys.Dispose();
}
