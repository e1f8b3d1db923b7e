namespace Carapace.Client.Invocation;

/// <summary>Why an invocation did not give an output.</summary>
public enum InvocationFailure
{
    /// <summary>404: the action does not exist in the namespace.</summary>
    NotFound,

    /// <summary>413: the sealed input is larger than the platform accepts.</summary>
    TooLarge,

    /// <summary>415, or 400 on a sealed input: the action is a plaintext action and takes JSON, not an envelope.</summary>
    NotConfidential,

    /// <summary>429: the platform's queue is full.</summary>
    Throttled,

    /// <summary>502: the function (or a step of the chain) failed; <see cref="InvocationException.ActivationStatus"/> and <see cref="InvocationException.Error"/> say how.</summary>
    FunctionFailed,

    /// <summary>409: the request id already ran; a step runs at most once per request id.</summary>
    Replayed,

    /// <summary>400: the platform refused the request (e.g. an envelope for another chain).</summary>
    BadRequest,

    /// <summary>
    /// 503: the platform could not start the function for now — its KMS is down or restarting, so no new enclave can get
    /// its keys; the failure is recorded, and <see cref="InvocationException.RetryAfter"/> says when to try again.
    /// </summary>
    Unavailable,

    /// <summary>507: the platform's disk is full, so it could not record the invocation (or its outcome); retry once space is freed.</summary>
    StorageFull,

    /// <summary>The activation has not finished yet.</summary>
    Pending,

    /// <summary>The receipts are missing, do not verify, or do not link the input to the output: the output is not trusted.</summary>
    ReceiptsInvalid,

    /// <summary>The output envelope does not open with the chain's exit key, or is for another request.</summary>
    OutputInvalid,
}
