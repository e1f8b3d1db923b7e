using System.Security.Cryptography;
using Carapace.Enclave.Host;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Enclave.Tests.Host;

public sealed class FunctionKeysTests
{
    private static readonly byte[] Master = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void An_entitled_function_takes_the_input_edge_from_the_envelope_and_sends_on_to_the_next_step_and_the_client()
    {
        using var keys = FunctionKeys.Entitled([Edge("c", 1, 2), Edge("c", 2, 3), Edge("c", 2, 0), Edge("d", 0, 1), Edge("d", 1, 2), Edge("d", 1, 0)]);
        using var input = Edge("c", 1, 2);

        Assert.True(keys.TryResolve(EnvelopeSealer.Seal(input, "x"u8), out var edges, out _));

        Assert.Equal(("c", 1, 2), (edges.Input.ChainId, edges.Input.FromStep, edges.Input.ToStep));
        Assert.Equal(("c", 2, 3), (edges.Output.ChainId, edges.Output.FromStep, edges.Output.ToStep));
        Assert.Equal(("c", 2, 0), (edges.Log.ChainId, edges.Log.FromStep, edges.Log.ToStep));
    }

    [Fact]
    public void An_input_for_an_edge_the_function_does_not_hold_is_refused_by_its_public_metadata()
    {
        using var keys = FunctionKeys.Entitled([Edge("c", 0, 1), Edge("c", 1, 2), Edge("c", 1, 0)]);
        using var other = Edge("other", 0, 1);

        Assert.False(keys.TryResolve(EnvelopeSealer.Seal(other, "x"u8), out _, out var problem));

        Assert.Contains("no key for edge other 0->1", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_sealed_with_another_key_for_the_same_edge_is_refused()
    {
        using var keys = FunctionKeys.Entitled([Edge("c", 0, 1), Edge("c", 1, 2), Edge("c", 1, 0)]);
        using var forged = EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(32), "c", 0, 1);

        Assert.False(keys.TryResolve(EnvelopeSealer.Seal(forged, "x"u8), out _, out var problem));

        Assert.Contains("no key for edge c 0->1", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_release_without_the_log_edge_is_reported_rather_than_used()
    {
        using var keys = FunctionKeys.Entitled([Edge("c", 0, 1), Edge("c", 1, 2)]);
        using var input = Edge("c", 0, 1);

        Assert.False(keys.TryResolve(EnvelopeSealer.Seal(input, "x"u8), out _, out var problem));

        Assert.Contains("no log edge for step 1 of chain c", problem, StringComparison.Ordinal);
    }

    private static EdgeKey Edge(string chain, int from, int to)
    {
        using var master = MasterKey.FromBytes(Master);
        return master.Derive(chain, from, to);
    }
}
