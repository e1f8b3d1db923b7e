namespace Carapace.Gateway;

/// <summary>The state of a supervised KMS, as <c>/api/v1/carapace/info</c> reports it.</summary>
public enum KmsState
{
    /// <summary>Running and answering its health probes.</summary>
    Up,

    /// <summary>It exited or stopped answering; the supervisor is (re)starting it. New enclaves cannot get keys meanwhile.</summary>
    Restarting,

    /// <summary>The platform is stopping; nothing restarts it.</summary>
    Stopped,
}
