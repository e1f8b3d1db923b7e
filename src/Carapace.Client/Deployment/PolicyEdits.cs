using Carapace.Attestation;
using Carapace.Attestation.Tee;
using Carapace.Functions;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client.Deployment;

/// <summary>
/// The changes a deploying client makes to a namespace policy. Each keeps every other entry (owners, approvals,
/// clients, other functions, chains and secrets) as it is; the caller bumps the version and signs.
/// </summary>
internal static class PolicyEdits
{
    /// <summary>
    /// A first policy for a namespace: one owner, who alone approves the next version, and the client; on a simulated
    /// platform simulation is allowed, on a confidential VM platform the VM images of its TEE configuration are trusted.
    /// </summary>
    public static KmsPolicy Initial(string ns, PolicyPrincipal owner, PolicyPrincipal? client, TeeSettings? tee = null) => new()
    {
        Namespace = ns,
        Version = 0,
        Owners = [owner],
        Approvals = 1,
        AllowSimulation = tee?.IsSimulated ?? true,
        Functions = [],
        Clients = client is null ? [] : [client],
        ConfidentialVms = tee is { IsSimulated: false } ? tee.Vms : [],
    };

    /// <summary>
    /// The rule a platform in <paramref name="tee"/> needs for function measurement <paramref name="measurementHex"/>:
    /// a simulation hash rule, or a workload rule of the confidential VM's kind.
    /// </summary>
    public static MeasurementRule RuleFor(TeeKind tee, string measurementHex) => tee == TeeKind.Simulation
        ? new MeasurementRule { Kind = EvidenceKind.Simulation, Hash = measurementHex }
        : new MeasurementRule { Kind = TeeKinds.EvidenceOf(tee), Workload = measurementHex };

    /// <summary>
    /// Function <paramref name="name"/> accepts exactly the measurement <paramref name="measurementHex"/> (as the
    /// platform's TEE <paramref name="tee"/> presents it, see <see cref="RuleFor"/>) and is granted
    /// <paramref name="secrets"/> (declared when new); chain <paramref name="name"/> is the one step <paramref name="name"/>.
    /// </summary>
    public static KmsPolicy WithFunction(KmsPolicy policy, string name, string measurementHex, IReadOnlyList<string> secrets, TeeKind tee = TeeKind.Simulation)
    {
        var existing = policy.FindFunction(name);
        var function = new PolicyFunction
        {
            Name = name,
            Measurements = [RuleFor(tee, measurementHex)],
            Secrets = [.. secrets.Distinct(StringComparer.Ordinal)],
            AllowDebug = existing?.AllowDebug ?? false,
        };
        var declared = policy.Secrets.Concat(secrets.Where(s => !policy.Secrets.Any(d => d.Name == s)).Distinct(StringComparer.Ordinal)
            .Select(s => new PolicySecret { Name = s }));
        return WithChain(policy with
        {
            Functions = Replace(policy.Functions, f => f.Name == name, function),
            Secrets = [.. declared],
        }, name, [name]);
    }

    /// <summary>
    /// The first half of a deploy (expand): function <paramref name="name"/> also accepts <paramref name="measurementHex"/>,
    /// next to the measurements it already accepts, and is also granted <paramref name="secrets"/> (declared when new); a
    /// new function gets its one-step chain <paramref name="name"/>. Whatever runs now, the previous action or the one
    /// about to be stored, gets its keys. <paramref name="expansion"/> records what was added, for <see cref="Rollback"/>.
    /// </summary>
    public static KmsPolicy Expand(KmsPolicy policy, string name, string measurementHex, IReadOnlyList<string> secrets, out Expansion expansion,
        TeeKind tee = TeeKind.Simulation)
    {
        var existing = policy.FindFunction(name);
        var rule = RuleFor(tee, measurementHex);
        var measurements = existing?.Measurements ?? [];
        var measurementAdded = !measurements.Any(m => SameRule(m, rule));
        var granted = existing?.Secrets ?? [];
        var wanted = secrets.Distinct(StringComparer.Ordinal).ToList();
        var grantsAdded = wanted.Where(s => !granted.Contains(s)).ToList();
        var declarationsAdded = wanted.Where(s => !policy.Secrets.Any(d => d.Name == s)).ToList();
        var function = new PolicyFunction
        {
            Name = name,
            Measurements = measurementAdded ? [.. measurements, rule] : measurements,
            Secrets = [.. granted, .. grantsAdded],
            AllowDebug = existing?.AllowDebug ?? false,
        };
        var chainCreated = policy.FindChain(name) is null;
        expansion = new Expansion(existing is null, measurementAdded, grantsAdded, declarationsAdded, chainCreated);
        var expanded = policy with
        {
            Functions = Replace(policy.Functions, f => f.Name == name, function),
            Secrets = [.. policy.Secrets, .. declarationsAdded.Select(s => new PolicySecret { Name = s })],
        };

        // An existing chain of this name (a sequence being replaced by a module) keeps its steps until the module is stored.
        return chainCreated ? WithChain(expanded, name, [name]) : expanded;
    }

    /// <summary>
    /// The second half of a deploy (contract), once the new action is stored: exactly <see cref="WithFunction"/>, and
    /// the image-key secrets of the function's earlier images (<c>image-key.NAME.ID</c>) that no function is granted
    /// any more are no longer declared.
    /// </summary>
    public static KmsPolicy Contract(KmsPolicy policy, string name, string measurementHex, IReadOnlyList<string> secrets, TeeKind tee = TeeKind.Simulation)
    {
        var contracted = WithFunction(policy, name, measurementHex, secrets, tee);
        var imagePrefix = ActionManifest.ImageKeySecretOf(name) + ".";
        return contracted with
        {
            Secrets = [.. contracted.Secrets.Where(d => !d.Name.StartsWith(imagePrefix, StringComparison.Ordinal) || Granted(contracted, d.Name))],
        };
    }

    /// <summary>
    /// Undoes <see cref="Expand"/> when the action was not stored: removes the measurement, grants, declarations and
    /// chain it added (and only those, so a concurrent deploy's additions stay). A function left with no measurement
    /// (it was new) is removed with every chain that names it.
    /// </summary>
    public static KmsPolicy Rollback(KmsPolicy policy, string name, string measurementHex, Expansion expansion, TeeKind tee = TeeKind.Simulation)
    {
        if (policy.FindFunction(name) is not { } function)
        {
            return policy;
        }

        var rule = RuleFor(tee, measurementHex);
        var measurements = expansion.MeasurementAdded ? [.. function.Measurements.Where(m => !SameRule(m, rule))] : function.Measurements;
        KmsPolicy rolled;
        if (measurements.Count == 0)
        {
            rolled = policy with
            {
                Functions = [.. policy.Functions.Where(f => f.Name != name)],
                Chains = [.. policy.Chains.Where(c => !c.Steps.Contains(name))],
            };
        }
        else
        {
            var restored = function with { Measurements = measurements, Secrets = [.. function.Secrets.Where(s => !expansion.GrantsAdded.Contains(s))] };
            rolled = policy with
            {
                Functions = Replace(policy.Functions, f => f.Name == name, restored),
                Chains = expansion.ChainCreated ? [.. policy.Chains.Where(c => c.Name != name || !c.Steps.SequenceEqual([name]))] : policy.Chains,
            };
        }

        return rolled with { Secrets = [.. rolled.Secrets.Where(d => !expansion.DeclarationsAdded.Contains(d.Name) || Granted(rolled, d.Name))] };
    }

    /// <summary>
    /// Puts back what <see cref="Without"/> removed (the function and the chain of that name) when the action could not
    /// be deleted; entries someone stored since are kept as they are, and a chain whose steps are gone is not restored.
    /// </summary>
    public static KmsPolicy Restore(KmsPolicy policy, PolicyFunction? function, PolicyChain? chain)
    {
        var restored = policy;
        if (function is not null && restored.FindFunction(function.Name) is null)
        {
            var undeclared = function.Secrets.Where(s => !restored.Secrets.Any(d => d.Name == s)).Select(s => new PolicySecret { Name = s });
            restored = restored with { Functions = [.. restored.Functions, function], Secrets = [.. restored.Secrets, .. undeclared] };
        }

        if (chain is not null && restored.FindChain(chain.Name) is null && chain.Steps.All(s => restored.FindFunction(s) is not null))
        {
            restored = restored with { Chains = [.. restored.Chains, chain] };
        }

        return restored;
    }

    /// <summary>
    /// Chain <paramref name="name"/> back to <paramref name="before"/> (or removed when it was new), if it still has the
    /// steps <paramref name="steps"/> a failed chain deploy gave it; otherwise unchanged (someone changed it since).
    /// </summary>
    public static KmsPolicy RestoreChain(KmsPolicy policy, string name, IReadOnlyList<string> steps, PolicyChain? before)
    {
        if (policy.FindChain(name) is not { } current || !current.Steps.SequenceEqual(steps, StringComparer.Ordinal))
        {
            return policy;
        }

        return before is null || !before.Steps.All(s => policy.FindFunction(s) is not null)
            ? policy with { Chains = [.. policy.Chains.Where(c => c.Name != name)] }
            : WithChain(policy, name, before.Steps);
    }

    /// <summary>True when both policies have the same content (the signed JSON is the same).</summary>
    public static bool SameContent(KmsPolicy a, KmsPolicy b) => string.Equals(a.ToJson(), b.ToJson(), StringComparison.Ordinal);

    /// <summary>Chain <paramref name="name"/> is <paramref name="steps"/> (added, or replacing a chain of that name).</summary>
    public static KmsPolicy WithChain(KmsPolicy policy, string name, IReadOnlyList<string> steps) =>
        policy with { Chains = Replace(policy.Chains, c => c.Name == name, new PolicyChain { Name = name, Steps = [.. steps] }) };

    /// <summary>
    /// Removes chain <paramref name="name"/>, and function <paramref name="name"/> unless another chain still uses it.
    /// </summary>
    public static KmsPolicy Without(KmsPolicy policy, string name)
    {
        var chains = policy.Chains.Where(c => c.Name != name).ToList();
        var functions = chains.Any(c => c.Steps.Contains(name)) ? policy.Functions : [.. policy.Functions.Where(f => f.Name != name)];
        return policy with { Chains = chains, Functions = functions };
    }

    /// <summary>The policy with <paramref name="client"/> among its clients (unchanged when a client of that id is there).</summary>
    public static KmsPolicy WithClient(KmsPolicy policy, PolicyPrincipal client) =>
        policy.Clients.Any(c => c.Id == client.Id) ? policy : policy with { Clients = [.. policy.Clients, client] };

    private static bool SameRule(MeasurementRule a, MeasurementRule b) => string.Equals(a.ToString(), b.ToString(), StringComparison.OrdinalIgnoreCase);

    private static bool Granted(KmsPolicy policy, string secret) => policy.Functions.Any(f => f.Secrets.Contains(secret));

    private static List<T> Replace<T>(IReadOnlyList<T> items, Func<T, bool> match, T replacement)
    {
        var list = items.ToList();
        var index = list.FindIndex(i => match(i));
        if (index < 0)
        {
            list.Add(replacement);
        }
        else
        {
            list[index] = replacement;
        }

        return list;
    }
}
