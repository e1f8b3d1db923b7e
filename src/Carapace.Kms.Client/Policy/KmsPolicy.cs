using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.Tee;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// The versioned policy of one namespace, denying everything it does not grant: which owners approve the next
/// version (<see cref="Approvals"/> of <see cref="Owners"/>), which attested code may act as each function and which
/// secrets it gets, which chains exist, and which clients may use them. Parse with <see cref="Parse"/>.
/// </summary>
public sealed record KmsPolicy
{
    /// <summary>The namespace this policy governs.</summary>
    public required string Namespace { get; init; }

    /// <summary>The version; every accepted update has a higher one.</summary>
    public required ulong Version { get; init; }

    /// <summary>The owners; <see cref="Approvals"/> of them must sign the next version.</summary>
    public required IReadOnlyList<PolicyPrincipal> Owners { get; init; }

    /// <summary>How many owners (k of n) must sign the NEXT version (and this one, if it is the namespace's first).</summary>
    public required int Approvals { get; init; }

    /// <summary>Accept simulation evidence (no hardware protection at all). Default false.</summary>
    public bool AllowSimulation { get; init; }

    /// <summary>The functions and the code accepted for each.</summary>
    public required IReadOnlyList<PolicyFunction> Functions { get; init; }

    /// <summary>The secrets this namespace declares.</summary>
    public IReadOnlyList<PolicySecret> Secrets { get; init; } = [];

    /// <summary>The chains of functions.</summary>
    public IReadOnlyList<PolicyChain> Chains { get; init; } = [];

    /// <summary>The clients allowed to use this namespace.</summary>
    public IReadOnlyList<PolicyPrincipal> Clients { get; init; } = [];

    /// <summary>
    /// The confidential VM images (Intel TDX, AMD SEV-SNP) trusted to run this namespace's functions, with the TCB each
    /// must have; a workload rule of a function matches only evidence from one of them. Empty (the default, and what
    /// policies written before confidential VMs say) trusts none. Written to JSON only when not empty.
    /// </summary>
    public IReadOnlyList<ConfidentialVm> ConfidentialVms { get; init; } = [];

    /// <summary>
    /// Parses policy JSON strictly (unknown fields, duplicate fields, wrong types and missing fields are errors) and
    /// validates it.
    /// </summary>
    /// <exception cref="PolicyException">Every structural problem (<see cref="PolicyRejection.Malformed"/>), or, for
    /// well-formed JSON, every consistency problem (<see cref="PolicyRejection.Invalid"/>).</exception>
    public static KmsPolicy Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var errors = new List<string>();
        var policy = PolicyReader.Read(json, errors);
        if (policy is null)
        {
            throw new PolicyException(PolicyRejection.Malformed, errors);
        }

        policy.ThrowIfInvalid();
        return policy;
    }

    /// <summary>Every consistency problem of this policy; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate() => PolicyValidator.Validate(this);

    /// <summary>Throws when <see cref="Validate"/> finds problems.</summary>
    /// <exception cref="PolicyException">With <see cref="PolicyRejection.Invalid"/> and every problem.</exception>
    public void ThrowIfInvalid()
    {
        var errors = PolicyValidator.Validate(this);
        if (errors.Count > 0)
        {
            throw new PolicyException(PolicyRejection.Invalid, errors);
        }
    }

    /// <summary>The function named <paramref name="name"/>, or null.</summary>
    public PolicyFunction? FindFunction(string name) => Functions.FirstOrDefault(f => f.Name == name);

    /// <summary>The chain named <paramref name="name"/>, or null.</summary>
    public PolicyChain? FindChain(string name) => Chains.FirstOrDefault(c => c.Name == name);

    /// <summary>The id of the client whose public key is <paramref name="subjectPublicKeyInfo"/> (DER), or null.</summary>
    public string? FindClient(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        foreach (var client in Clients)
        {
            using var key = P256.TryImport(client.PublicKey, out _);
            if (key is not null && CryptographicOperations.FixedTimeEquals(key.ExportSubjectPublicKeyInfo(), subjectPublicKeyInfo))
            {
                return client.Id;
            }
        }

        return null;
    }

    /// <summary>The policy as indented JSON in the format <see cref="Parse"/> reads; sign exactly this text.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("namespace", Namespace);
            w.WriteNumber("version", Version);
            WritePrincipals(w, "owners", Owners);
            w.WriteNumber("approvals", Approvals);
            w.WriteBoolean("allowSimulation", AllowSimulation);
            w.WriteStartArray("functions");
            foreach (var f in Functions)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteStartArray("measurements");
                foreach (var m in f.Measurements)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", EvidenceKinds.Name(m.Kind));
                    if (m.Hash is not null)
                    {
                        w.WriteString("hash", m.Hash);
                    }
                    else if (m.Workload is not null)
                    {
                        w.WriteString("workload", m.Workload);
                    }
                    else
                    {
                        w.WriteString("signer", m.Signer);
                        w.WriteNumber("productId", m.ProductId ?? 0);
                        w.WriteNumber("minSvn", m.MinSvn ?? 0);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                WriteStrings(w, "secrets", f.Secrets);
                w.WriteBoolean("allowDebug", f.AllowDebug);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("secrets");
            foreach (var s in Secrets)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                if (s.Description is not null)
                {
                    w.WriteString("description", s.Description);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("chains");
            foreach (var c in Chains)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                WriteStrings(w, "steps", c.Steps);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            WritePrincipals(w, "clients", Clients);
            if (ConfidentialVms.Count > 0)
            {
                w.WriteStartArray("confidentialVms");
                foreach (var vm in ConfidentialVms)
                {
                    vm.WriteTo(w);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WritePrincipals(Utf8JsonWriter w, string name, IReadOnlyList<PolicyPrincipal> principals)
    {
        w.WriteStartArray(name);
        foreach (var p in principals)
        {
            w.WriteStartObject();
            w.WriteString("id", p.Id);
            w.WriteString("publicKey", p.PublicKey);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
