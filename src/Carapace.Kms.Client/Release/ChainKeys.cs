using Carapace.Envelope.Keys;

namespace Carapace.Kms.Client.Release;

/// <summary>
/// The client-side edge keys of one chain of <c>n</c> steps, as a client of the namespace receives them: the entry
/// edge <c>0 → 1</c> (<see cref="Entry"/>, seal the input with it), the exit edge <c>n → n+1</c> (<see cref="Exit"/>,
/// open the output with it) and every step's log edge <c>i → 0</c> (<see cref="Log"/>). They are the keys the KMS
/// derives for the chain's enclaves, so both ends agree. Dispose it to zero every key; <see cref="ToString"/> names key
/// fingerprints only, never key bytes.
/// </summary>
public sealed class ChainKeys : IDisposable
{
    private readonly EdgeKey _entry;
    private readonly EdgeKey _exit;
    private readonly EdgeKey[] _logs;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="edges"/>: exactly the edges <c>0 → 1</c>, <c>n → n+1</c> and <c>i → 0</c> (i = 1..n) of <paramref name="chain"/>.</summary>
    /// <exception cref="ArgumentException">An edge is missing, repeated, of another chain or not a client edge.</exception>
    internal ChainKeys(string ns, string chain, int steps, ulong policyVersion, IReadOnlyList<EdgeKey> edges)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        if (edges.Count != steps + 2 || edges.Any(e => e.ChainId != chain))
        {
            throw new ArgumentException($"a chain of {steps} step(s) has {steps + 2} client edges of that chain, not {edges.Count}", nameof(edges));
        }

        Namespace = ns;
        Chain = chain;
        Steps = steps;
        PolicyVersion = policyVersion;
        Edges = edges;
        _entry = Single(edges, 0, 1);
        _exit = Single(edges, steps, steps + 1);
        _logs = [.. Enumerable.Range(1, steps).Select(i => Single(edges, i, 0))];
    }

    /// <summary>The namespace.</summary>
    public string Namespace { get; }

    /// <summary>The chain (its chain id: the name of the action or sequence).</summary>
    public string Chain { get; }

    /// <summary>The chain's number of steps <c>n</c>.</summary>
    public int Steps { get; }

    /// <summary>The policy version the keys were released under.</summary>
    public ulong PolicyVersion { get; }

    /// <summary>The key of edge <c>0 → 1</c>: seal the chain's input with it.</summary>
    public EdgeKey Entry
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _entry;
        }
    }

    /// <summary>The key of edge <c>n → n+1</c>: open the chain's output with it.</summary>
    public EdgeKey Exit
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _exit;
        }
    }

    /// <summary>Every edge in wire order: <c>0 → 1</c>, <c>n → n+1</c>, then <c>i → 0</c> for i = 1..n.</summary>
    internal IReadOnlyList<EdgeKey> Edges { get; }

    /// <summary>The key of edge <c><paramref name="step"/> → 0</c>: open the log of step <paramref name="step"/> (1..n) with it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is not 1..<see cref="Steps"/>.</exception>
    public EdgeKey Log(int step)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(step, Steps);
        return _logs[step - 1];
    }

    /// <summary>
    /// The keys in the KMS's own answer format (JSON with base64 keys), for a client that keeps them encrypted at rest;
    /// the caller zeroes the result.
    /// </summary>
    public byte[] Export()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Api.ChainKeysCodec.Encode(this);
    }

    /// <summary>Keys from <see cref="Export"/>'s format (copied out; the caller zeroes <paramref name="exported"/>).</summary>
    /// <exception cref="InvalidDataException">It is not such an export.</exception>
    public static ChainKeys Import(ReadOnlySpan<byte> exported) => Api.ChainKeysCodec.Decode(exported);

    /// <summary>Zeroes every key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var edge in Edges)
        {
            edge.Dispose();
        }
    }

    /// <summary>Names the chain and each edge's fingerprint; never key bytes.</summary>
    public override string ToString() =>
        $"{Namespace}/{Chain} ({Steps} step(s), policy v{PolicyVersion}): "
        + string.Join(", ", Edges.Select(k => $"{k.FromStep}->{k.ToStep} {k.Id}"));

    private static EdgeKey Single(IReadOnlyList<EdgeKey> edges, int from, int to)
    {
        var matches = edges.Where(e => e.FromStep == from && e.ToStep == to).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new ArgumentException($"the client edges must hold edge {from} -> {to} exactly once, not {matches.Count} times", nameof(edges));
    }
}
