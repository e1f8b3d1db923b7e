namespace Carapace.Attestation.Tee;

/// <summary>Why a confidential VM is not trusted.</summary>
public enum VmRefusal
{
    /// <summary>Accepted: nothing refused.</summary>
    None,

    /// <summary>Its launch measurement (or an RTMR) is not one of a trusted VM image.</summary>
    NotListed,

    /// <summary>Its image is trusted but its platform's TCB is not current enough.</summary>
    TcbNotAccepted,
}

/// <summary>The outcome of <see cref="ConfidentialVm.Evaluate"/>.</summary>
/// <param name="Refusal">Why not, or <see cref="VmRefusal.None"/>.</param>
/// <param name="Message">For a refusal, what did not hold (a sentence fragment about the evidence: "its …").</param>
/// <param name="Matched">The trusted VM rule that matched, when accepted.</param>
public sealed record VmVerdict(VmRefusal Refusal, string Message, ConfidentialVm? Matched)
{
    /// <summary>True when a trusted VM matched.</summary>
    public bool Accepted => Refusal == VmRefusal.None;

    internal static VmVerdict Accept(ConfidentialVm vm) => new(VmRefusal.None, "", vm);

    internal static VmVerdict Refuse(VmRefusal refusal, string message) => new(refusal, message, null);
}
