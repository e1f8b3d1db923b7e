namespace Carapace.Kms.Client.Policy;

/// <summary>A function of a namespace: which attested code may act as it and which secrets it receives.</summary>
public sealed record PolicyFunction
{
    /// <summary>The function's name.</summary>
    public required string Name { get; init; }

    /// <summary>The measurements accepted for this function; evidence must match one of them.</summary>
    public required IReadOnlyList<MeasurementRule> Measurements { get; init; }

    /// <summary>Names of the declared secrets this function receives.</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Accept evidence from an enclave with debugging enabled (its memory is not protected). Default false.</summary>
    public bool AllowDebug { get; init; }
}
