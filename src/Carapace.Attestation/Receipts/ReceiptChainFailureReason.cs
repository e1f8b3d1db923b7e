namespace Carapace.Attestation.Receipts;

/// <summary>Why receipts do not form one run of a chain for a request.</summary>
public enum ReceiptChainFailureReason
{
    /// <summary>A receipt is for another request.</summary>
    WrongRequest,

    /// <summary>A receipt is for another chain.</summary>
    WrongChain,

    /// <summary>The receipts name more than one namespace.</summary>
    WrongNamespace,

    /// <summary>A receipt names a step outside 1..n.</summary>
    StepOutOfRange,

    /// <summary>Two receipts name the same step.</summary>
    DuplicateStep,

    /// <summary>A step has no receipt.</summary>
    MissingStep,

    /// <summary>Every step has one receipt, but they are not in step order.</summary>
    OutOfOrder,

    /// <summary>Step 1 consumed another input than the sealed input the client sent.</summary>
    InputMismatch,

    /// <summary>Step i+1 consumed another input than step i produced.</summary>
    BrokenLink,

    /// <summary>The last step produced another output than the sealed output the client received.</summary>
    OutputMismatch,

    /// <summary>A step ran with another measurement than the caller expects for it.</summary>
    MeasurementMismatch,
}
