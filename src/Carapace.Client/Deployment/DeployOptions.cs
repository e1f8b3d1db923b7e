namespace Carapace.Client.Deployment;

/// <summary>How <see cref="CarapaceClient.DeployAsync"/> deploys an action. Checked by <see cref="Validate"/>.</summary>
public sealed class DeployOptions
{
    /// <summary>The smallest memory limit the platform accepts, in MiB.</summary>
    public const int MinMemoryMiB = 128;

    /// <summary>The memory limit in MiB (OpenWhisk's default, 256).</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>The time limit in milliseconds (OpenWhisk's default, 60 s).</summary>
    public int TimeoutMs { get; init; } = 60_000;

    /// <summary>
    /// The function's non-secret environment (the <c>carapace.env</c> annotation). It is part of the measurement: the
    /// platform cannot change it without the KMS refusing the enclave its keys.
    /// </summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Names of KMS secrets the function is granted (declared in the namespace policy if they are not yet).</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>True (the default): sealed input and output, keys only from the KMS under policy. False: plaintext JSON.</summary>
    public bool Confidential { get; init; } = true;

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MemoryMiB < MinMemoryMiB)
        {
            problems.Add($"the memory limit {MemoryMiB} MiB is below the platform's minimum of {MinMemoryMiB} MiB");
        }

        if (TimeoutMs <= 0)
        {
            problems.Add($"the time limit {TimeoutMs} ms must be positive");
        }

        foreach (var key in (Env ?? new Dictionary<string, string>()).Keys)
        {
            if (key.Length == 0 || key.Contains('='))
            {
                problems.Add($"environment variable name '{key}' must be non-empty and must not contain '='");
            }
        }

        if (!Confidential && Secrets?.Count > 0)
        {
            problems.Add("a plaintext action gets no secrets: secrets are released by the KMS only to attested confidential functions");
        }

        return problems;
    }
}
