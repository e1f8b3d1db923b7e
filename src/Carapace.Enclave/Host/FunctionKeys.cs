using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Enclave.Host;

/// <summary>
/// The edge keys a loaded function holds, and which of them an invocation uses. A provisioned function has exactly
/// one input, output and log edge. A function entitled by the KMS holds the edges of every chain step it is in: the
/// input envelope's authenticated metadata (chain, from, to) picks the input edge, and the output goes on to the next
/// step of the same chain, the log back to the client (step 0).
/// </summary>
internal sealed class FunctionKeys : IDisposable
{
    private readonly IReadOnlyList<EdgeKey> _keys;
    private readonly (EdgeKey Input, EdgeKey Output, EdgeKey Log)? _fixed;

    private FunctionKeys(IReadOnlyList<EdgeKey> keys, (EdgeKey, EdgeKey, EdgeKey)? fixedEdges)
    {
        _keys = keys;
        _fixed = fixedEdges;
    }

    /// <summary>One input, output and log edge, as a provisioner granted them.</summary>
    public static FunctionKeys Fixed(EdgeKey input, EdgeKey output, EdgeKey log) => new([input, output, log], (input, output, log));

    /// <summary>Every edge the KMS released for the function's chain steps.</summary>
    public static FunctionKeys Entitled(IReadOnlyList<EdgeKey> keys) => new(keys, null);

    /// <summary>
    /// The edges for the sealed input <paramref name="envelope"/>, or an explanation of why this function holds no key
    /// for it (the message names only public metadata). Throws <see cref="Envelope.EnvelopeException"/> for a header
    /// that does not parse.
    /// </summary>
    public bool TryResolve(ReadOnlySpan<byte> envelope, out (EdgeKey Input, EdgeKey Output, EdgeKey Log) edges, out string problem)
    {
        problem = "";
        if (_fixed is { } fixedEdges)
        {
            // The opener parses the header and checks the key id, and names a mismatch precisely.
            edges = fixedEdges;
            return true;
        }

        edges = default;
        var input = EnvelopeHeader.Parse(envelope).Metadata;
        var inbound = Find(input.ChainId, input.Step, input.NextStep);
        if (inbound is null || inbound.Id != input.KeyId)
        {
            problem = $"this function holds no key for edge {input.ChainId} {input.Step}->{input.NextStep} (key {input.KeyId})";
            return false;
        }

        var step = inbound.ToStep;
        var output = Find(input.ChainId, step, step + 1);
        var log = Find(input.ChainId, step, 0);
        if (output is null || log is null)
        {
            problem = $"the KMS released no {(output is null ? "output" : "log")} edge for step {step} of chain {input.ChainId}";
            return false;
        }

        edges = (inbound, output, log);
        return true;
    }

    /// <summary>How many edge keys the function holds: a bound on the edges it can ever accept an input on.</summary>
    public int Count => _keys.Count;

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }

    private EdgeKey? Find(string chain, int from, int to) =>
        _keys.FirstOrDefault(k => k.ChainId == chain && k.FromStep == from && k.ToStep == to);
}
