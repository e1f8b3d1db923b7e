namespace Carapace.Client.Deployment;

/// <summary>What <see cref="PolicyEdits.Expand"/> added to a policy, so that <see cref="PolicyEdits.Rollback"/> removes exactly that.</summary>
/// <param name="FunctionCreated">The function was new.</param>
/// <param name="MeasurementAdded">The measurement was not accepted before.</param>
/// <param name="GrantsAdded">Secrets the function was not granted before.</param>
/// <param name="DeclarationsAdded">Secrets the namespace did not declare before.</param>
/// <param name="ChainCreated">The one-step chain of the function's name was new.</param>
internal sealed record Expansion(bool FunctionCreated, bool MeasurementAdded, IReadOnlyList<string> GrantsAdded, IReadOnlyList<string> DeclarationsAdded,
    bool ChainCreated);
