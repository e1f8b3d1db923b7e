using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Keys;

/// <summary>A disposed key refuses every use of its bytes.</summary>
public sealed class KeyDisposalTests
{
    [Fact]
    public void Disposed_master_key_cannot_derive_or_be_copied()
    {
        var master = TestKeys.Master();
        master.Dispose();

        Assert.Throws<ObjectDisposedException>(() => master.Derive("c", 0, 1));
        Assert.Throws<ObjectDisposedException>(() => master.CopyTo(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => KeyFile.Write(master, Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("n"))));
    }

    [Fact]
    public async Task Sealing_a_stream_with_a_disposed_key_writes_nothing()
    {
        var key = TestKeys.Edge();
        key.Dispose();
        using var output = new MemoryStream();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => EnvelopeSealer.SealAsync(key, new MemoryStream([1, 2, 3]), output));

        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Disposed_edge_key_cannot_seal_open_or_be_copied()
    {
        var key = TestKeys.Edge();
        var envelope = EnvelopeSealer.Seal(key, "x"u8);
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.CopyTo(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => EnvelopeSealer.Seal(key, "x"u8));
        Assert.Throws<ObjectDisposedException>(() => EnvelopeOpener.Open(key, envelope));
        Assert.Throws<ObjectDisposedException>(() => Envelopes.Open(OpenApi.Stream, key, envelope));
        Assert.Throws<ObjectDisposedException>(() => Envelopes.Seal(SealApi.Stream, key, "x"u8));
    }

    [Fact]
    public void Disposing_a_master_key_does_not_affect_edge_keys_derived_from_it()
    {
        var master = TestKeys.Master();
        using var edge = master.Derive("c", 0, 1);
        master.Dispose();

        var envelope = EnvelopeSealer.Seal(edge, "still works"u8);

        Assert.Equal("still works"u8.ToArray(), Envelopes.Open(OpenApi.Span, edge, envelope).Payload);
    }

    [Fact]
    public void Disposing_twice_is_harmless()
    {
        var master = TestKeys.Master();
        var edge = TestKeys.Edge();

        master.Dispose();
        master.Dispose();
        edge.Dispose();
        edge.Dispose();

        Assert.Throws<ObjectDisposedException>(() => edge.CopyTo(new byte[32]));
    }

    [Fact]
    public void Disposed_opened_envelope_zeroes_and_hides_its_payload()
    {
        using var key = TestKeys.Edge();
        var opened = EnvelopeOpener.Open(key, EnvelopeSealer.Seal(key, Payloads.WithMarker(100)));
        var payload = opened.Payload;
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload, out var segment));

        opened.Dispose();

        Assert.Throws<ObjectDisposedException>(() => opened.Payload);
        Assert.All(segment.Array!, b => Assert.Equal(0, b));
    }
}
