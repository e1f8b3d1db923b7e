using Carapace.Protocol.Lane;

namespace Carapace.Worker.Enclaves;

/// <summary>How to start enclave processes.</summary>
public sealed record EnclaveLaunchOptions
{
    /// <summary>The native enclave executable the Carapace build publishes into <c>enclave/</c> beside a Carapace program.</summary>
    public static string DefaultEnclavePath => Path.Combine(AppContext.BaseDirectory, "enclave", "Carapace.Enclave");

    /// <summary>
    /// The native JavaScript enclave the Carapace build publishes beside <see cref="DefaultEnclavePath"/>: it runs
    /// OpenWhisk's <c>nodejs</c> actions, and only those, so JavaScript functions are specialised only in its cells.
    /// </summary>
    public static string DefaultJavaScriptEnclavePath => Path.Combine(AppContext.BaseDirectory, "enclave", "Carapace.Enclave.Js");

    /// <summary>The JavaScript enclave beside the WASI enclave at <paramref name="enclavePath"/> (same folder).</summary>
    public static string JavaScriptEnclaveBeside(string enclavePath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(enclavePath)) ?? ".", "Carapace.Enclave.Js");

    /// <summary>
    /// The enclave program: the native executable (default <see cref="DefaultEnclavePath"/>), started directly. A path
    /// ending in <c>.dll</c> is the JIT build of the same program, started with <c>dotnet</c>; it exists for benchmark
    /// comparisons only (its runtime identity matches no reference value, so no KMS policy accepts it).
    /// </summary>
    public string EnclavePath { get; init; } = DefaultEnclavePath;

    /// <summary>Whether <see cref="EnclavePath"/> is the JIT build (a .dll run by <c>dotnet</c>) rather than the native executable.</summary>
    public bool IsJitEnclave => EnclavePath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>The simulated platform key file the enclaves use (null: their default under ~/.carapace).</summary>
    public string? PlatformKeyPath { get; init; }

    /// <summary>
    /// The TEE the enclaves run in, passed to each as <c>--tee</c>: <c>sim</c> (the default), or <c>tdx</c> / <c>snp</c>
    /// when this worker runs inside a confidential VM. The worker only passes the choice on; an enclave that cannot use
    /// the TEE exits before it is ready.
    /// </summary>
    public string Tee { get; init; } = "sim";

    /// <summary>The TEE configuration file passed to each enclave as <c>--tee-config</c>; required for tdx and snp.</summary>
    public string? TeeConfigPath { get; init; }

    /// <summary>How long an enclave may take to report ready.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Capacity of each direction of the shared-memory lane (see <see cref="SharedLane"/>);
    /// 0 keeps every frame on the pipe. Frames larger than this go over the pipe anyway.
    /// </summary>
    public int LaneCapacity { get; init; } = SharedLane.DefaultCapacity;

    /// <summary>
    /// How long a caller polls the lane for an answer before it sleeps until the enclave rings (a trivial function
    /// answers well within this; a longer one costs at most this much polling, and only up to half the processors poll).
    /// </summary>
    public TimeSpan AnswerPoll { get; init; } = TimeSpan.FromMicroseconds(250);

    /// <summary>Receives the enclaves' diagnostic lines (stderr), which never contain secrets or function data.</summary>
    public Action<int, string>? Diagnostics { get; init; }

    /// <summary>Checks the options, reporting every problem at once.</summary>
    /// <exception cref="ArgumentException">The enclave program is missing or a timeout is not positive.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!File.Exists(EnclavePath))
        {
            problems.Add(IsJitEnclave
                ? $"the enclave program {EnclavePath} does not exist"
                : $"the native enclave {EnclavePath} does not exist: the Carapace build publishes it into enclave/ beside each Carapace program (dotnet build Carapace.slnx -c Release, or ./carapace, which builds into .build/cli)");
        }

        if (Tee is not ("sim" or "tdx" or "snp"))
        {
            problems.Add($"the TEE must be sim, tdx or snp, not '{Tee}'");
        }
        else if (Tee != "sim" && (TeeConfigPath is null || !File.Exists(TeeConfigPath)))
        {
            problems.Add($"enclaves in {Tee} need the TEE configuration file (TeeConfigPath{(TeeConfigPath is null ? " is not set" : $" {TeeConfigPath} does not exist")})");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            problems.Add("the start timeout must be positive");
        }

        if (LaneCapacity != 0 && LaneCapacity is < 4096 or > SharedLane.MaxCapacity)
        {
            problems.Add($"the lane capacity must be 0 (off) or within 4096..{SharedLane.MaxCapacity} bytes");
        }

        if (AnswerPoll < TimeSpan.Zero || AnswerPoll > TimeSpan.FromMilliseconds(10))
        {
            problems.Add("the answer poll must be within 0..10 ms");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid enclave launch options: " + string.Join("; ", problems));
        }
    }
}
