using Carapace.Attestation;
using Carapace.Kms.Client.Policy;

namespace Carapace.Kms.Client.Tests.Support;

/// <summary>Owners with keys, and policies built and signed by them.</summary>
internal sealed class Policies : IDisposable
{
    public static readonly string SgxHash = Attest.Hex(32, 0x11);
    public static readonly string TdxHash = Attest.Hex(48, 0x22);
    public static readonly string SimHash = Attest.Hex(32, 0x33);
    public static readonly string SgxSigner = Attest.Hex(32, 0x5A);

    private readonly Dictionary<string, OwnerKey> _owners = new();

    public OwnerKey Owner(string id)
    {
        if (!_owners.TryGetValue(id, out var key))
        {
            key = OwnerKey.Generate();
            _owners.Add(id, key);
        }

        return key;
    }

    public PolicyPrincipal Principal(string id) => new() { Id = id, PublicKey = Owner(id).PublicKeyBase64 };

    /// <summary>A valid policy: functions f (sgx hash, secret db-password) and g (sgx signer rule, tdx hash), chain pipeline f → g.</summary>
    public KmsPolicy Build(string ns = "acme", ulong version = 1, string[]? owners = null, int approvals = 1, bool allowSimulation = false,
        bool allowDebug = false)
    {
        owners ??= ["alice"];
        var fRules = new List<MeasurementRule> { new() { Kind = EvidenceKind.Sgx, Hash = SgxHash } };
        if (allowSimulation)
        {
            fRules.Add(new MeasurementRule { Kind = EvidenceKind.Simulation, Hash = SimHash });
        }

        return new KmsPolicy
        {
            Namespace = ns,
            Version = version,
            Owners = owners.Select(Principal).ToList(),
            Approvals = approvals,
            AllowSimulation = allowSimulation,
            Functions =
            [
                new PolicyFunction { Name = "f", Measurements = fRules, Secrets = ["db-password"], AllowDebug = allowDebug },
                new PolicyFunction
                {
                    Name = "g",
                    Measurements =
                    [
                        new MeasurementRule { Kind = EvidenceKind.Sgx, Signer = SgxSigner, ProductId = 7, MinSvn = 3 },
                        new MeasurementRule { Kind = EvidenceKind.Tdx, Hash = TdxHash },
                    ],
                },
            ],
            Secrets = [new PolicySecret { Name = "db-password", Description = "the database password" }],
            Chains = [new PolicyChain { Name = "pipeline", Steps = ["f", "g"] }],
        };
    }

    /// <summary>The signed document of <paramref name="policy"/>, signed by each of <paramref name="signers"/>.</summary>
    public byte[] Sign(KmsPolicy policy, params string[] signers)
    {
        var document = new SignedPolicy { PolicyText = policy.ToJson() };
        foreach (var signer in signers)
        {
            document = PolicySigner.AddSignature(document, signer, Owner(signer));
        }

        return document.ToJson();
    }

    public void Dispose()
    {
        foreach (var key in _owners.Values)
        {
            key.Dispose();
        }
    }
}
