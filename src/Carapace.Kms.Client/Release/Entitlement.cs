using Carapace.Attestation;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client.Secrets;

namespace Carapace.Kms.Client.Release;

/// <summary>
/// What attested code receives as one function of a namespace: the values of the secrets its policy grants it, and for
/// every chain position it holds (<see cref="Steps"/>) the key of its inbound edge (<c>i-1 → i</c>) and of its outbound
/// edge (<c>i → i+1</c>), each once. Hand it over the attested channel only, then dispose it to zero every value and key.
/// <see cref="ToString"/> never shows values.
/// </summary>
public sealed class Entitlement : IDisposable
{
    internal Entitlement(string ns, string function, ulong policyVersion, EvidenceKind kind, string measurement,
        IReadOnlyList<SecretValue> secrets, IReadOnlyList<ChainStep> steps, IReadOnlyList<EdgeKey> edgeKeys)
    {
        Namespace = ns;
        Function = function;
        PolicyVersion = policyVersion;
        EvidenceKind = kind;
        Measurement = measurement;
        Secrets = secrets;
        Steps = steps;
        EdgeKeys = edgeKeys;
    }

    /// <summary>The namespace.</summary>
    public string Namespace { get; }

    /// <summary>The function the code was admitted as.</summary>
    public string Function { get; }

    /// <summary>The policy version that admitted it.</summary>
    public ulong PolicyVersion { get; }

    /// <summary>The kind of the evidence that matched (the inner kind for RA-TLS).</summary>
    public EvidenceKind EvidenceKind { get; }

    /// <summary>The measurement that matched, lower-case hex.</summary>
    public string Measurement { get; }

    /// <summary>The granted secrets, newest versions.</summary>
    public IReadOnlyList<SecretValue> Secrets { get; }

    /// <summary>The chain positions the function holds.</summary>
    public IReadOnlyList<ChainStep> Steps { get; }

    /// <summary>The edge keys of those positions, without duplicates.</summary>
    public IReadOnlyList<EdgeKey> EdgeKeys { get; }

    /// <summary>The granted secret named <paramref name="name"/>, or null.</summary>
    public SecretValue? Secret(string name) => Secrets.FirstOrDefault(s => s.Name == name);

    /// <summary>The key of edge <paramref name="fromStep"/> → <paramref name="toStep"/> of <paramref name="chain"/>, or null.</summary>
    public EdgeKey? Edge(string chain, int fromStep, int toStep) =>
        EdgeKeys.FirstOrDefault(k => k.ChainId == chain && k.FromStep == fromStep && k.ToStep == toStep);

    /// <summary>Zeroes every secret value and edge key.</summary>
    public void Dispose()
    {
        foreach (var secret in Secrets)
        {
            secret.Dispose();
        }

        foreach (var key in EdgeKeys)
        {
            key.Dispose();
        }
    }

    /// <summary>Names what was released (secret names, edge key fingerprints); never values.</summary>
    public override string ToString() =>
        $"{Namespace}/{Function}: {Secrets.Count} secret(s) [{string.Join(", ", Secrets.Select(s => $"{s.Name} v{s.Version}"))}], "
        + $"{EdgeKeys.Count} edge key(s) [{string.Join(", ", EdgeKeys.Select(k => $"{k.ChainId} {k.FromStep}->{k.ToStep} {k.Id}"))}]";
}
