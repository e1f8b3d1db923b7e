using Carapace.Attestation;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// Checks a well-formed policy for consistency and reports every problem at once: names, duplicates, approvals
/// (1 ≤ k ≤ n), owner and client keys, measurement rules (kind, hex length, signer rules only for SGX, workload rules
/// only for TDX and SEV-SNP with a trusted VM image of their kind), trusted confidential VMs, secrets granted but not
/// declared, chain steps naming unknown functions. A policy over one of the <see cref="PolicyLimits"/> is
/// reported by its counts alone, before any per-entry work.
/// </summary>
internal static class PolicyValidator
{
    public static List<string> Validate(KmsPolicy policy)
    {
        var errors = PolicyLimits.Check(policy);
        if (errors.Count > 0)
        {
            return errors;
        }

        if (!PolicyNames.IsValid(policy.Namespace))
        {
            errors.Add($"$.namespace: '{policy.Namespace}' {PolicyNames.Rule}");
        }

        if (policy.Version == 0)
        {
            errors.Add("$.version: must be at least 1");
        }

        Principals(policy.Owners, "owners", errors);
        if (policy.Owners.Count == 0)
        {
            errors.Add("$.owners: a policy needs at least one owner");
        }

        if (policy.Approvals < 1)
        {
            errors.Add($"$.approvals: must be at least 1 (it is {policy.Approvals})");
        }
        else if (policy.Approvals > policy.Owners.Count)
        {
            errors.Add($"$.approvals: {policy.Approvals} approvals can never be reached with {policy.Owners.Count} owner(s) (k must not exceed n)");
        }

        Principals(policy.Clients, "clients", errors);

        var secrets = Unique(policy.Secrets.Select(s => s.Name), "secrets", "secret", errors);
        var functions = Unique(policy.Functions.Select(f => f.Name), "functions", "function", errors);
        for (var i = 0; i < policy.Functions.Count; i++)
        {
            Function(policy, policy.Functions[i], $"$.functions[{i}]", secrets, errors);
        }

        for (var i = 0; i < policy.ConfidentialVms.Count; i++)
        {
            var vm = policy.ConfidentialVms[i];
            errors.AddRange(vm.Validate($"$.confidentialVms[{i}]"));
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(policy.ConfidentialVms[j].ToString(), vm.ToString(), StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"$.confidentialVms[{i}]: the same VM rule as $.confidentialVms[{j}]");
                }
            }
        }

        Unique(policy.Chains.Select(c => c.Name), "chains", "chain", errors);
        for (var i = 0; i < policy.Chains.Count; i++)
        {
            var chain = policy.Chains[i];
            if (chain.Steps.Count == 0)
            {
                errors.Add($"$.chains[{i}].steps: chain '{chain.Name}' needs at least one step");
            }

            for (var s = 0; s < chain.Steps.Count; s++)
            {
                if (!functions.Contains(chain.Steps[s]))
                {
                    errors.Add($"$.chains[{i}].steps[{s}]: chain '{chain.Name}' names unknown function '{chain.Steps[s]}'");
                }
            }
        }

        return errors;
    }

    private static void Function(KmsPolicy policy, PolicyFunction function, string path, HashSet<string> secrets, List<string> errors)
    {
        if (function.Measurements.Count == 0)
        {
            errors.Add($"{path}.measurements: function '{function.Name}' has no measurements, so it could never be released anything");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var m = 0; m < function.Measurements.Count; m++)
        {
            var rule = function.Measurements[m];
            var rulePath = $"{path}.measurements[{m}]";
            Rule(policy, rule, rulePath, errors);
            if (!seen.Add(rule.ToString().ToLowerInvariant()))
            {
                errors.Add($"{rulePath}: duplicate measurement rule for function '{function.Name}'");
            }
        }

        var granted = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < function.Secrets.Count; s++)
        {
            var name = function.Secrets[s];
            if (!secrets.Contains(name))
            {
                errors.Add($"{path}.secrets[{s}]: function '{function.Name}' is granted undeclared secret '{name}' (declare it under $.secrets)");
            }

            if (!granted.Add(name))
            {
                errors.Add($"{path}.secrets[{s}]: function '{function.Name}' is granted secret '{name}' twice");
            }
        }
    }

    private static void Rule(KmsPolicy policy, MeasurementRule rule, string path, List<string> errors)
    {
        var kind = rule.Kind;
        if (kind is EvidenceKind.RaTls || !Enum.IsDefined(kind))
        {
            errors.Add($"{path}.kind: rules name the kind of the evidence itself (sim, sgx, tdx, snp or nitro), not ratls");
            return;
        }

        var kindName = EvidenceKinds.Name(kind);
        if (kind == EvidenceKind.Simulation && !policy.AllowSimulation)
        {
            errors.Add($"{path}: a sim rule can never match while allowSimulation is false; remove it or set allowSimulation (insecure)");
        }

        if ((rule.Hash is not null ? 1 : 0) + (rule.Signer is not null ? 1 : 0) + (rule.Workload is not null ? 1 : 0) != 1)
        {
            errors.Add($"{path}: a rule has {PolicyReader.Shapes}");
            return;
        }

        if (rule.Hash is not null)
        {
            Hex(rule.Hash, MeasurementRule.HashLength(kind), $"{path}.hash", $"a {kindName} measurement", errors);
            return;
        }

        if (rule.Workload is not null)
        {
            if (kind is not (EvidenceKind.Tdx or EvidenceKind.SevSnp))
            {
                errors.Add($"{path}: workload rules are for tdx and snp (a function inside a confidential VM); {kindName} evidence measures the code itself, use 'hash'");
            }
            else if (!policy.ConfidentialVms.Any(vm => vm.Kind == kind))
            {
                errors.Add($"{path}: a {kindName} workload rule can never match while confidentialVms names no {kindName} VM image; add the trusted image under $.confidentialVms");
            }

            Hex(rule.Workload, 32, $"{path}.workload", "a Carapace function measurement", errors);
            return;
        }

        if (kind != EvidenceKind.Sgx)
        {
            errors.Add($"{path}: signer rules exist only for sgx (MRSIGNER, ISVPRODID, ISVSVN); {kindName} evidence has no signer identity, use 'hash'");
        }

        Hex(rule.Signer!, 32, $"{path}.signer", "an MRSIGNER", errors);
        if (rule.ProductId is null || rule.MinSvn is null)
        {
            errors.Add($"{path}: a signer rule needs 'productId' and 'minSvn'");
        }
    }

    private static void Hex(string text, int bytes, string path, string what, List<string> errors)
    {
        if (text.Length != bytes * 2 || !text.All(char.IsAsciiHexDigit))
        {
            errors.Add($"{path}: {what} is {bytes} bytes ({bytes * 2} hex digits); got {Describe(text)}");
        }
    }

    private static string Describe(string text) => text.All(char.IsAsciiHexDigit)
        ? $"{text.Length} hex digits"
        : $"{text.Length} characters that are not all hex digits";

    private static void Principals(IReadOnlyList<PolicyPrincipal> principals, string field, List<string> errors)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < principals.Count; i++)
        {
            var principal = principals[i];
            var path = $"$.{field}[{i}]";
            if (!PolicyNames.IsValid(principal.Id))
            {
                errors.Add($"{path}.id: '{principal.Id}' {PolicyNames.Rule}");
            }
            else if (!ids.Add(principal.Id))
            {
                errors.Add($"{path}.id: duplicate id '{principal.Id}'");
            }

            using var key = P256.TryImport(principal.PublicKey, out var problem);
            if (key is null)
            {
                errors.Add($"{path}.publicKey: the key of '{principal.Id}' {problem}; it must be base64 of a DER SubjectPublicKeyInfo on P-256");
                continue;
            }

            var canonical = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
            if (keys.TryGetValue(canonical, out var other))
            {
                errors.Add($"{path}.publicKey: '{principal.Id}' has the same key as '{other}'; one key holder would count twice");
            }
            else
            {
                keys.Add(canonical, principal.Id);
            }
        }
    }

    private static HashSet<string> Unique(IEnumerable<string> names, string field, string what, List<string> errors)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var name in names)
        {
            if (!PolicyNames.IsValid(name))
            {
                errors.Add($"$.{field}[{i}].name: {what} name '{name}' {PolicyNames.Rule}");
            }
            else if (!set.Add(name))
            {
                errors.Add($"$.{field}[{i}].name: duplicate {what} '{name}'");
            }

            i++;
        }

        return set;
    }
}
