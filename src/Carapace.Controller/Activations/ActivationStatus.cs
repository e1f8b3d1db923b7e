namespace Carapace.Controller.Activations;

/// <summary>OpenWhisk's <c>response.status</c> of a finished activation.</summary>
public enum ActivationStatus
{
    /// <summary><c>"success"</c>: the function returned normally.</summary>
    Success,

    /// <summary><c>"application error"</c>: the function reported an error for its input.</summary>
    ApplicationError,

    /// <summary><c>"action developer error"</c>: the function failed (trap, timeout, out of memory, bad output).</summary>
    DeveloperError,

    /// <summary><c>"whisk internal error"</c>: the platform failed (enclave crash, lost worker).</summary>
    WhiskInternalError,
}

/// <summary>The wire strings of <see cref="ActivationStatus"/>.</summary>
public static class ActivationStatusText
{
    /// <summary>The string OpenWhisk puts in <c>response.status</c>.</summary>
    public static string ToWire(this ActivationStatus status) => status switch
    {
        ActivationStatus.Success => "success",
        ActivationStatus.ApplicationError => "application error",
        ActivationStatus.DeveloperError => "action developer error",
        ActivationStatus.WhiskInternalError => "whisk internal error",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown activation status"),
    };

    /// <summary>Parses a <c>response.status</c> string.</summary>
    public static bool TryParse(string? text, out ActivationStatus status)
    {
        foreach (var candidate in Enum.GetValues<ActivationStatus>())
        {
            if (candidate.ToWire() == text)
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }
}
