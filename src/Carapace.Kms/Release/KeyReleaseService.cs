using System.Security.Cryptography;
using Carapace.Attestation;
using Carapace.Attestation.Tee;
using Carapace.Envelope.Keys;
using Carapace.Kms.Audit;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Client.Secrets;
using Carapace.Kms.Keys;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;

namespace Carapace.Kms.Release;

/// <summary>
/// Decides, from verified attestation and the namespace's current policy, whether code may act as a function — and
/// if so releases its <see cref="Entitlement"/>. Everything not granted is denied; every decision is audited.
/// </summary>
/// <remarks>
/// Checks, in order: the namespace has a policy; it names the function; the evidence verified (for RA-TLS: its inner
/// evidence, whose kind and claims are then used); simulation evidence only with <c>allowSimulation</c>; debug enclaves
/// (and debug VMs) only with the function's <c>allowDebug</c>; for TDX or SEV-SNP evidence that binds a workload (a
/// function inside a confidential VM): the VM is one of the policy's <c>confidentialVms</c> (launch measurement, RTMRs)
/// on an accepted TCB, and the bound function measurement matches a workload rule; otherwise the measurement matches a
/// rule of the evidence's kind — an exact hash (compared in constant time) or, for SGX, MRSIGNER + ISVPRODID + ISVSVN ≥
/// minSvn; every granted secret has a value.
/// Edge keys: for each chain in which the function is step <c>i</c> (1-based), the keys of edges <c>i-1 → i</c>
/// (input), <c>i → i+1</c> (output) and <c>i → 0</c> (its log, back to the client), derived with <see cref="MasterKey.Derive"/> from the namespace's chain master key
/// (HKDF of the KMS master key with info <c>carapace/kms/chain-master/v1 ‖ namespace</c>).
/// This service does not check freshness; <see cref="KmsService.Release"/> does (nonce and key binding) before calling it.
/// </remarks>
public sealed class KeyReleaseService
{
    private readonly PolicyStore _policies;
    private readonly SecretStore _secrets;
    private readonly KmsMasterKey _master;
    private readonly AuditLog _audit;

    internal KeyReleaseService(PolicyStore policies, SecretStore secrets, KmsMasterKey master, AuditLog audit)
    {
        _policies = policies;
        _secrets = secrets;
        _master = master;
        _audit = audit;
    }

    /// <summary>Releases what <paramref name="function"/> of <paramref name="ns"/> is entitled to, given verified evidence.</summary>
    /// <exception cref="KmsDeniedException">The request is denied; the reason and message say why.</exception>
    /// <exception cref="SecretStoreException">A granted secret cannot be decrypted (wrong key or tampered row).</exception>
    /// <exception cref="InvalidDataException">The audit log's anchor is damaged, so the release cannot be recorded.</exception>
    public Entitlement Decide(string ns, string function, AttestationResult result)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            return DecideCore(ns, function, result);
        }
        catch (KmsDeniedException e)
        {
            RecordDenial(ns, function, result, e);
            throw;
        }
    }

    /// <summary>Writes a <see cref="AuditKind.ReleaseDenied"/> record.</summary>
    internal void RecordDenial(string ns, string function, AttestationResult result, KmsDeniedException denial)
    {
        var effective = Effective(result);
        _audit.Append(AuditKind.ReleaseDenied, ns, function, new AuditDetails()
            .Add("reason", denial.Reason.ToString())
            .Add("message", denial.Message)
            .Add("evidence", KindLabel(result, effective))
            .Add("measurement", effective?.Verified == true ? Convert.ToHexStringLower(effective.Measurement.Span) : null));
    }

    private Entitlement DecideCore(string ns, string function, AttestationResult result)
    {
        var stored = _policies.Current(ns)
            ?? throw new KmsDeniedException(KmsDenialReason.UnknownNamespace,
                $"attestation rejected: namespace '{ns}' has no policy; its owners must set one first");
        var policy = stored.Policy;
        var rules = policy.FindFunction(function)
            ?? throw new KmsDeniedException(KmsDenialReason.UnknownFunction,
                $"attestation rejected: function '{function}' is not in policy v{policy.Version} of namespace '{ns}'");

        if (!result.Verified)
        {
            throw new KmsDeniedException(KmsDenialReason.EvidenceNotVerified,
                $"attestation rejected: the {EvidenceKinds.Name(result.Kind)} evidence of function '{function}' did not verify ({result.Failure})");
        }

        var evidence = Effective(result)
            ?? throw new KmsDeniedException(KmsDenialReason.EvidenceNotVerified,
                $"attestation rejected: the RA-TLS certificate of function '{function}' carries no verified inner evidence"
                + (result.Inner?.Failure is { } inner ? $" ({inner})" : ""));

        var measurement = Convert.ToHexStringLower(evidence.Measurement.Span);
        if ((result.Insecure || evidence.Insecure || evidence.Kind == EvidenceKind.Simulation) && !policy.AllowSimulation)
        {
            throw new KmsDeniedException(KmsDenialReason.SimulationNotAllowed,
                $"attestation rejected: function '{function}' presented simulation evidence (measurement {measurement}, no hardware protection) "
                + $"and the policy of namespace '{ns}' does not set allowSimulation");
        }

        if ((result.Debug || evidence.Debug) && !rules.AllowDebug)
        {
            throw new KmsDeniedException(KmsDenialReason.DebugNotAllowed,
                $"attestation rejected: function '{function}' runs in a debug enclave (measurement {measurement}), whose memory the host can read; "
                + $"the policy of namespace '{ns}' does not set allowDebug for it");
        }

        string? launchMeasurement = null;
        if (!result.Workload.IsEmpty && evidence.Kind is EvidenceKind.Tdx or EvidenceKind.SevSnp)
        {
            // A function in a confidential VM: the VM must be a trusted image on a current platform, and the function
            // measurement its evidence binds must be one of the function's workload rules.
            var verdict = ConfidentialVm.Evaluate(policy.ConfidentialVms, evidence);
            if (!verdict.Accepted)
            {
                throw new KmsDeniedException(verdict.Refusal == VmRefusal.TcbNotAccepted ? KmsDenialReason.TcbNotAccepted : KmsDenialReason.UntrustedVm,
                    $"attestation rejected: function '{function}' runs in a confidential VM that policy v{policy.Version} of namespace '{ns}' does not trust: {verdict.Message}");
            }

            launchMeasurement = measurement;
            measurement = Convert.ToHexStringLower(result.Workload.Span);
            if (!rules.Measurements.Any(rule => rule.IsWorkloadRule && rule.Kind == evidence.Kind
                && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(rule.Workload!), result.Workload.Span)))
            {
                throw new KmsDeniedException(KmsDenialReason.NotInPolicy,
                    $"attestation rejected: measurement {measurement} of function '{function}' is not in policy of namespace '{ns}' ({Hint(rules, evidence.Kind, policy.Version, workload: true)})");
            }
        }
        else if (!rules.Measurements.Any(rule => Matches(rule, evidence)))
        {
            throw new KmsDeniedException(KmsDenialReason.NotInPolicy,
                $"attestation rejected: measurement {measurement} of function '{function}' is not in policy of namespace '{ns}' ({Hint(rules, evidence.Kind, policy.Version, workload: false)})");
        }

        var secrets = new List<SecretValue>();
        var keys = new List<EdgeKey>();
        try
        {
            foreach (var name in rules.Secrets)
            {
                secrets.Add(_secrets.Get(ns, name) ?? throw new KmsDeniedException(KmsDenialReason.SecretNotProvisioned,
                    $"function '{function}' of namespace '{ns}' is granted secret '{name}', which has no value yet; put it first"));
            }

            var steps = Steps(policy, function);
            using (var chainMaster = _master.DeriveChainMaster(ns))
            {
                foreach (var step in steps)
                {
                    AddEdge(keys, chainMaster, step.Chain, step.Step - 1, step.Step);
                    AddEdge(keys, chainMaster, step.Chain, step.Step, step.Step + 1);

                    // The step's log goes back to the client, like the exit edge: edge (step → 0).
                    AddEdge(keys, chainMaster, step.Chain, step.Step, 0);
                }
            }

            var entitlement = new Entitlement(ns, function, policy.Version, evidence.Kind, measurement, secrets, steps, keys);
            _audit.Append(AuditKind.KeyReleased, ns, function, new AuditDetails()
                .Add("policyVersion", policy.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add("evidence", KindLabel(result, evidence))
                .Add("measurement", measurement)
                .Add("launchMeasurement", launchMeasurement)
                .Add("secrets", secrets.Select(s => $"{s.Name} v{s.Version}"))
                .Add("edgeKeys", keys.Select(k => $"{k.ChainId} {k.FromStep}->{k.ToStep} {k.Id}")));
            return entitlement;
        }
        catch
        {
            secrets.ForEach(s => s.Dispose());
            keys.ForEach(k => k.Dispose());
            throw;
        }
    }

    private static string Hint(PolicyFunction rules, EvidenceKind kind, ulong version, bool workload)
    {
        var kinds = rules.Measurements.Where(r => r.IsWorkloadRule == workload).Select(r => EvidenceKinds.Name(r.Kind)).Distinct().ToList();
        var name = EvidenceKinds.Name(kind);
        var shape = workload ? $"{name} workload rule" : $"{name} rule";
        return kinds.Contains(name)
            ? $"no {shape} of policy v{version} matches it"
            : kinds.Count == 0
                ? $"the evidence is {name}{(workload ? " from a confidential VM" : "")} but policy v{version} has no {(workload ? "workload" : "hash or signer")} rule for it"
                : $"the evidence is {name} but policy v{version} accepts only {string.Join(", ", kinds)} evidence for it";
    }

    private static bool Matches(MeasurementRule rule, AttestationResult evidence)
    {
        if (rule.Kind != evidence.Kind || rule.IsWorkloadRule)
        {
            return false;
        }

        if (rule.Hash is not null)
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(rule.Hash), evidence.Measurement.Span);
        }

        return rule.Kind == EvidenceKind.Sgx
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(rule.Signer!), evidence.Signer.Span)
            && evidence.ProductId is { } product && product == rule.ProductId
            && evidence.SecurityVersion is { } svn && rule.MinSvn is { } min && svn >= min;
    }

    private static List<ChainStep> Steps(KmsPolicy policy, string function)
    {
        var steps = new List<ChainStep>();
        foreach (var chain in policy.Chains)
        {
            for (var i = 0; i < chain.Steps.Count; i++)
            {
                if (chain.Steps[i] == function)
                {
                    steps.Add(new ChainStep(chain.Name, i + 1, chain.Steps.Count));
                }
            }
        }

        return steps;
    }

    private static void AddEdge(List<EdgeKey> keys, MasterKey chainMaster, string chain, int from, int to)
    {
        if (!keys.Any(k => k.ChainId == chain && k.FromStep == from && k.ToStep == to))
        {
            keys.Add(chainMaster.Derive(chain, from, to));
        }
    }

    /// <summary>The result whose claims count: the inner one for RA-TLS (null when it has no verified non-RA-TLS inner result).</summary>
    private static AttestationResult? Effective(AttestationResult result) => result.Kind != EvidenceKind.RaTls
        ? result
        : result.Inner is { Verified: true } inner && inner.Kind != EvidenceKind.RaTls ? inner : null;

    private static string KindLabel(AttestationResult result, AttestationResult? effective) =>
        result.Kind == EvidenceKind.RaTls
            ? "ratls/" + (effective is null ? "none" : EvidenceKinds.Name(effective.Kind))
            : EvidenceKinds.Name(result.Kind);
}
