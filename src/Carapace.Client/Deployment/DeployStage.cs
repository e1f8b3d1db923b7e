namespace Carapace.Client.Deployment;

/// <summary>Where a deployment is, in the order a confidential deploy goes through them.</summary>
public enum DeployStage
{
    /// <summary>Computing the measurement the enclave will attest, for exactly the module, limits, environment and image to be stored.</summary>
    Measuring,

    /// <summary>
    /// Having the namespace's KMS policy (signed by the owner key) accept the new measurement next to the previous one,
    /// so whichever of the two the gateway has gets its keys.
    /// </summary>
    UpdatingPolicy,

    /// <summary>Storing the image's key in the KMS as the function's secret (owner-signed, over attested TLS).</summary>
    StoringImageKey,

    /// <summary>Sending the module to the gateway (<see cref="DeployProgress.Sent"/> of <see cref="DeployProgress.Total"/> bytes).</summary>
    Uploading,

    /// <summary>Having the policy accept only the new measurement, now that the gateway stores the new action.</summary>
    Finishing,

    /// <summary>Deployed.</summary>
    Done,
}
