namespace Carapace.Attestation.Tee;

/// <summary>
/// The TEE a process was asked to run in cannot be used: an unknown name, a configuration file with problems (every one
/// is listed), or hardware that is not there. Carapace never falls back to simulation instead.
/// </summary>
public sealed class TeeConfigurationException : Exception
{
    /// <summary>Creates the exception for <paramref name="problems"/> (at least one).</summary>
    public TeeConfigurationException(IReadOnlyList<string> problems)
        : base(problems.Count == 1 ? problems[0] : "the TEE configuration has problems:" + string.Concat(problems.Select(p => "\n  - " + p)))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception for one problem caused by <paramref name="inner"/>.</summary>
    public TeeConfigurationException(string problem, Exception inner)
        : base(problem, inner)
    {
        Problems = [problem];
    }

    /// <summary>Every problem, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
