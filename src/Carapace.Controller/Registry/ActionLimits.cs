namespace Carapace.Controller.Registry;

/// <summary>
/// An action's resource limits. Ranges and defaults are Apache OpenWhisk's documented per-action defaults
/// (docs/reference.md: memory 128..512 MB, default 256 MB; timeout 100 ms..300 s, default 60 s), which also fit an
/// enclave: a WebAssembly module's linear memory is capped at <see cref="MemoryMiB"/> and the run at
/// <see cref="TimeoutMs"/>. Operators with other needs change the constants in one place.
/// </summary>
/// <param name="MemoryMiB">The memory limit in MiB.</param>
/// <param name="TimeoutMs">The time limit in milliseconds.</param>
public sealed record ActionLimits(int MemoryMiB, int TimeoutMs)
{
    /// <summary>The smallest memory limit, in MiB.</summary>
    public const int MinMemoryMiB = 128;

    /// <summary>The largest memory limit, in MiB.</summary>
    public const int MaxMemoryMiB = 512;

    /// <summary>The memory limit when none is given, in MiB.</summary>
    public const int DefaultMemoryMiB = 256;

    /// <summary>The smallest time limit, in milliseconds.</summary>
    public const int MinTimeoutMs = 100;

    /// <summary>The largest time limit, in milliseconds.</summary>
    public const int MaxTimeoutMs = 300_000;

    /// <summary>The time limit when none is given, in milliseconds.</summary>
    public const int DefaultTimeoutMs = 60_000;

    /// <summary>
    /// OpenWhisk's <c>limits.logs</c> (MB), the only value the platform has: a function's log is a sealed blob of
    /// bounded size.
    /// </summary>
    public const int LogsMb = 10;

    /// <summary>OpenWhisk's <c>limits.concurrency</c>, the only value the platform has: an enclave runs one activation at a time.</summary>
    public const int Concurrency = 1;

    /// <summary>The limits of an action created without any.</summary>
    public static ActionLimits Default { get; } = new(DefaultMemoryMiB, DefaultTimeoutMs);

    /// <summary>Every way these limits are out of range, each as a sentence for the client; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MemoryMiB is < MinMemoryMiB or > MaxMemoryMiB)
        {
            errors.Add($"'limits.memory' {MemoryMiB} MB is outside the allowed range [{MinMemoryMiB} MB, {MaxMemoryMiB} MB].");
        }

        if (TimeoutMs is < MinTimeoutMs or > MaxTimeoutMs)
        {
            errors.Add($"'limits.timeout' {TimeoutMs} ms is outside the allowed range [{MinTimeoutMs} ms, {MaxTimeoutMs} ms].");
        }

        return errors;
    }
}
