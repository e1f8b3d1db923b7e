namespace Carapace.Client.Deployment;

/// <summary>
/// What a <see cref="DeployException"/> left behind: a deploy, chain or delete that failed half-way and could not put
/// everything back. (Any other exception from a deploy means nothing was changed.)
/// </summary>
public enum DeployFailureState
{
    /// <summary>
    /// The new action (or chain) is stored and runs, but the policy still accepts what it replaced: the previous
    /// measurement, and secrets granted only to the previous version. Deploy again to finish.
    /// </summary>
    DeployedPolicyNotFinished,

    /// <summary>
    /// Nothing new is stored at the gateway (the previous action or chain, or none, is in place and runs as before),
    /// but the policy change made for it could not be undone: the policy also accepts the measurement that was not
    /// deployed. Deploy again, or delete the action.
    /// </summary>
    NotDeployedPolicyChanged,

    /// <summary>
    /// The gateway's answer to the upload was lost and it could not be asked again: the new action may or may not be
    /// stored. The policy accepts both the previous and the new measurement, so whichever is stored runs. Deploy again
    /// to finish.
    /// </summary>
    Unknown,

    /// <summary>
    /// The gateway stored the action with other limits or environment than were sent and measured, so the KMS will not
    /// release its keys. The policy accepts the previous and the sent measurement. Deploy again; if it repeats, the
    /// gateway is not of this build.
    /// </summary>
    StoredDifferently,

    /// <summary>
    /// Deleting: the policy no longer accepts the action, but the gateway still has it (putting the policy back
    /// failed). Delete it again.
    /// </summary>
    DeleteIncomplete,
}
