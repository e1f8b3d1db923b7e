using Carapace.Fuzz.Targets;

namespace Carapace.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
internal static class FuzzTargets
{
    private static readonly Lazy<IReadOnlyList<FuzzTarget>> s_all = new(() =>
    [
        .. EnvelopeTargets.All(),
        .. ProtocolTargets.All(),
        .. ImageTargets.All(),
        .. AttestationTargets.All(),
        .. KmsTargets.All(),
        .. GatewayTargets.All(),
        .. ModuleTargets.All(),
    ]);

    /// <summary>All targets, in a stable order.</summary>
    public static IReadOnlyList<FuzzTarget> All => s_all.Value;

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
