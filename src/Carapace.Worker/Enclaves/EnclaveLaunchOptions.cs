namespace Carapace.Worker.Enclaves;

/// <summary>How to start enclave processes.</summary>
public sealed class EnclaveLaunchOptions
{
    /// <summary>The enclave program (Carapace.Enclave.dll). Default: beside the running application.</summary>
    public string EnclavePath { get; init; } = Path.Combine(AppContext.BaseDirectory, "Carapace.Enclave.dll");

    /// <summary>The simulated platform key file the enclaves use (null: their default under ~/.carapace).</summary>
    public string? PlatformKeyPath { get; init; }

    /// <summary>How long an enclave may take to report ready.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives the enclaves' diagnostic lines (stderr), which never contain secrets or function data.</summary>
    public Action<int, string>? Diagnostics { get; init; }

    /// <summary>Checks the options, reporting every problem at once.</summary>
    /// <exception cref="ArgumentException">The enclave program is missing or a timeout is not positive.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!File.Exists(EnclavePath))
        {
            problems.Add($"the enclave program {EnclavePath} does not exist");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            problems.Add("the start timeout must be positive");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid enclave launch options: " + string.Join("; ", problems));
        }
    }
}
