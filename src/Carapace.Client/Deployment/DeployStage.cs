namespace Carapace.Client.Deployment;

/// <summary>Where a deployment is.</summary>
public enum DeployStage
{
    /// <summary>Sending the module to the gateway (<see cref="DeployProgress.Sent"/> of <see cref="DeployProgress.Total"/> bytes).</summary>
    Uploading,

    /// <summary>Computing the measurement the enclave will attest.</summary>
    Measuring,

    /// <summary>Naming the measurement in the namespace's KMS policy (signed by the owner key).</summary>
    UpdatingPolicy,

    /// <summary>Storing the image's key in the KMS as the function's secret (owner-signed, over attested TLS).</summary>
    StoringImageKey,

    /// <summary>Deployed.</summary>
    Done,
}
