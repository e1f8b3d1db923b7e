namespace Carapace.Kms.Client.Policy;

/// <summary>
/// How large a namespace's policy may be, beyond its 1 MiB of text (<see cref="PolicyReader.MaxBytes"/>). Every count
/// bounds work the KMS does per request: checking a policy imports one key per principal, and a release derives the
/// edges of every chain position of a function and encrypts every granted secret into one response (at most
/// <see cref="Api.KmsApiPaths.MaxResponseBytes"/>). A policy over a limit is refused as a whole, with every count named.
/// </summary>
public static class PolicyLimits
{
    /// <summary>The most owners (each a key checked on every policy update).</summary>
    public const int MaxOwners = 32;

    /// <summary>The most clients (each a key allowed to ask for chain keys).</summary>
    public const int MaxClients = 256;

    /// <summary>The most functions.</summary>
    public const int MaxFunctions = 1024;

    /// <summary>The most measurement rules of one function.</summary>
    public const int MaxMeasurementsPerFunction = 64;

    /// <summary>The most secrets granted to one function (each up to 64 KiB, all sent in one release).</summary>
    public const int MaxSecretsPerFunction = 64;

    /// <summary>The most secrets declared.</summary>
    public const int MaxSecrets = 1024;

    /// <summary>The most chains.</summary>
    public const int MaxChains = 1024;

    /// <summary>The most steps of one chain: the platform's limit on a sequence's actions (50).</summary>
    public const int MaxChainSteps = 50;

    /// <summary>The most steps of all chains together (each step's function receives three edge keys per position).</summary>
    public const int MaxTotalChainSteps = 4096;

    /// <summary>The most trusted confidential VM images (each compared with a release's evidence).</summary>
    public const int MaxConfidentialVms = 64;

    /// <summary>Every count of <paramref name="policy"/> over its limit, one sentence each; empty when all fit.</summary>
    internal static List<string> Check(KmsPolicy policy)
    {
        var errors = new List<string>();
        Count(errors, "$.owners", "owners", policy.Owners.Count, MaxOwners);
        Count(errors, "$.clients", "clients", policy.Clients.Count, MaxClients);
        Count(errors, "$.functions", "functions", policy.Functions.Count, MaxFunctions);
        Count(errors, "$.secrets", "secrets", policy.Secrets.Count, MaxSecrets);
        Count(errors, "$.chains", "chains", policy.Chains.Count, MaxChains);
        Count(errors, "$.confidentialVms", "confidential VM images", policy.ConfidentialVms.Count, MaxConfidentialVms);
        for (var i = 0; i < policy.Functions.Count; i++)
        {
            var function = policy.Functions[i];
            Count(errors, $"$.functions[{i}].measurements", $"measurement rules of function '{function.Name}'", function.Measurements.Count, MaxMeasurementsPerFunction);
            Count(errors, $"$.functions[{i}].secrets", $"secrets granted to function '{function.Name}'", function.Secrets.Count, MaxSecretsPerFunction);
        }

        for (var i = 0; i < policy.Chains.Count; i++)
        {
            Count(errors, $"$.chains[{i}].steps", $"steps of chain '{policy.Chains[i].Name}'", policy.Chains[i].Steps.Count, MaxChainSteps);
        }

        Count(errors, "$.chains", "chain steps in all", policy.Chains.Sum(c => c.Steps.Count), MaxTotalChainSteps);
        return errors;
    }

    private static void Count(List<string> errors, string path, string what, int count, int max)
    {
        if (count > max)
        {
            errors.Add($"{path}: {count} {what}; a policy may have at most {max}");
        }
    }
}
