using Carapace.Attestation;
using Carapace.Kms.Policy;

namespace Carapace.Client.Deployment;

/// <summary>
/// The changes a deploying client makes to a namespace policy. Each keeps every other entry (owners, approvals,
/// clients, other functions, chains and secrets) as it is; the caller bumps the version and signs.
/// </summary>
internal static class PolicyEdits
{
    /// <summary>A first policy for a namespace: one owner, who alone approves the next version, and the client.</summary>
    public static KmsPolicy Initial(string ns, PolicyPrincipal owner, PolicyPrincipal? client) => new()
    {
        Namespace = ns,
        Version = 0,
        Owners = [owner],
        Approvals = 1,
        AllowSimulation = true,
        Functions = [],
        Clients = client is null ? [] : [client],
    };

    /// <summary>
    /// Function <paramref name="name"/> accepts exactly the simulation measurement <paramref name="measurementHex"/>
    /// and is granted <paramref name="secrets"/> (declared when new); chain <paramref name="name"/> is the one step
    /// <paramref name="name"/>.
    /// </summary>
    public static KmsPolicy WithFunction(KmsPolicy policy, string name, string measurementHex, IReadOnlyList<string> secrets)
    {
        var existing = policy.FindFunction(name);
        var function = new PolicyFunction
        {
            Name = name,
            Measurements = [new MeasurementRule { Kind = EvidenceKind.Simulation, Hash = measurementHex }],
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
