namespace Carapace.Cluster.Grains;

/// <summary>
/// A step handed to a worker node: which deployed action version runs it (public metadata) and its sealed input.
/// The worker reads the action from the shared registry and refuses to run another version than the one named.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StepCall
{
    /// <summary>The action's path (<c>/namespace[/package]/name</c>) as the invocation runs it.</summary>
    [Id(0)] public required string Action { get; init; }

    /// <summary>The action's version.</summary>
    [Id(1)] public required string Version { get; init; }

    /// <summary>When that version was stored (UTC ticks): tells a re-created action from the old one.</summary>
    [Id(2)] public required long UpdatedTicks { get; init; }

    /// <summary>The sealed input envelope.</summary>
    [Id(3)] public required byte[] SealedInput { get; init; }

    /// <summary>Retire the action's enclaves on that worker first (an enclave held no key for the input).</summary>
    [Id(4)] public bool FreshEnclave { get; init; }

    /// <summary>
    /// For a plaintext action: the gateway node whose trusted edge holds its keys and provisions its enclaves (their
    /// payloads are sealed by that node). Null for a confidential action, whose enclaves attest to the KMS.
    /// </summary>
    [Id(5)] public string? Edge { get; init; }
}

/// <summary>How a worker node ended a step: the enclave's encoded result, or why nothing (or not all) ran.</summary>
[GenerateSerializer, Immutable]
public sealed record StepReply
{
    /// <summary>The enclave's result message, encoded (sealed output and log, receipt, status metadata); empty on failure.</summary>
    [Id(0)] public byte[] Result { get; init; } = [];

    /// <summary>Whether an enclave was specialised for this step.</summary>
    [Id(1)] public bool ColdStart { get; init; }

    /// <summary>Time spent specialising, in microseconds.</summary>
    [Id(2)] public long SpecializeMicroseconds { get; init; }

    /// <summary>Whether a prewarmed stem cell was used for a cold start.</summary>
    [Id(3)] public bool Prewarmed { get; init; }

    /// <summary>The enclave process (on the worker node) that ran it.</summary>
    [Id(4)] public int EnclaveProcessId { get; init; }

    /// <summary>Null when the step ran; otherwise what kind of failure <see cref="Message"/> describes.</summary>
    [Id(5)] public StepFailure? Failure { get; init; }

    /// <summary>The failure's description (metadata only, never payload).</summary>
    [Id(6)] public string? Message { get; init; }

    /// <summary>For <see cref="StepFailure.EnclaveLost"/> and <see cref="StepFailure.EnclaveRefused"/>: the enclave's reason code.</summary>
    [Id(7)] public string? Reason { get; init; }

    /// <summary>For <see cref="StepFailure.KmsUnavailable"/>: when to try again, in milliseconds.</summary>
    [Id(8)] public long RetryAfterMs { get; init; }
}

/// <summary>Why a worker node did not return an enclave result.</summary>
public enum StepFailure
{
    /// <summary>The enclave refused to specialise or to take the input.</summary>
    EnclaveRefused = 1,

    /// <summary>The enclave died while running the step.</summary>
    EnclaveLost = 2,

    /// <summary>No enclave could get its keys from the KMS; nothing ran.</summary>
    KmsUnavailable = 3,

    /// <summary>The action cannot be brought up (the deployer's error), or its version is gone from the registry.</summary>
    NotRunnable = 4,

    /// <summary>The worker node is stopping; nothing ran.</summary>
    Stopping = 5,
}

/// <summary>Provisioning made by a gateway node's trusted edge for one enclave on a worker node (sealed to that enclave).</summary>
[GenerateSerializer, Immutable]
public sealed record ProvisionReply
{
    /// <summary>The session that <see cref="INodeGrain.Confirm"/> checks the enclave's confirmation against.</summary>
    [Id(0)] public Guid Session { get; init; }

    /// <summary>The provisioner's ephemeral public key.</summary>
    [Id(1)] public byte[] PublicKey { get; init; } = [];

    /// <summary>The provisioning, sealed to the enclave's session key.</summary>
    [Id(2)] public byte[] SealedProvisioning { get; init; } = [];
}

/// <summary>What a node reports about itself (for placement and <c>cluster status</c>).</summary>
[GenerateSerializer, Immutable]
public sealed record NodeReport
{
    /// <summary>The node's name.</summary>
    [Id(0)] public string Name { get; init; } = "";

    /// <summary>Its roles, e.g. <c>gateway,worker</c>.</summary>
    [Id(1)] public string Roles { get; init; } = "";

    /// <summary>Its process id on its host.</summary>
    [Id(2)] public int ProcessId { get; init; }

    /// <summary>Its host name.</summary>
    [Id(3)] public string Host { get; init; } = "";

    /// <summary>The gateway's HTTPS address (gateway nodes), else null.</summary>
    [Id(4)] public string? Gateway { get; init; }

    /// <summary>Steps running on this worker now.</summary>
    [Id(5)] public int RunningSteps { get; init; }

    /// <summary>Action versions with enclave pools on this worker.</summary>
    [Id(6)] public int Pools { get; init; }
}
