using Carapace.Protocol;

namespace Carapace.Worker.Pools;

/// <summary>Everything the worker needs to bring one function up in enclaves.</summary>
public sealed class FunctionDefinition
{
    /// <summary>The WebAssembly module (public bytes: its hash is measured).</summary>
    public required ReadOnlyMemory<byte> Module { get; init; }

    /// <summary>The shielded image file on the host, if any.</summary>
    public string? ImagePath { get; init; }

    /// <summary>
    /// Asks the trusted provisioner for provisioning sealed to the enclave that announced <see cref="ReadyMessage"/>.
    /// Exactly one of this and <see cref="Kms"/> is set.
    /// </summary>
    public Func<ReadyMessage, CancellationToken, Task<IProvisioningSession>>? Provision { get; init; }

    /// <summary>Have the enclaves obtain keys and secrets from the KMS by attestation instead of from a provisioner.</summary>
    public KmsFunction? Kms { get; init; }

    /// <summary>Invocations one enclave serves before it is recycled (zeroed, exited, replaced).</summary>
    public int MaxInvocationsPerEnclave { get; init; } = 1_000;

    /// <summary>Most enclaves running this function at once.</summary>
    public int MaxInstances { get; init; } = Math.Max(2, Environment.ProcessorCount);
}
