using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Sealing;

/// <summary>Every seal draws a fresh salt, hence a fresh message key: the same input never seals to the same bytes.</summary>
public sealed class FreshnessTests
{
    [Theory]
    [InlineData(SealApi.Span)]
    [InlineData(SealApi.Stream)]
    public void Sealing_the_same_payload_twice_with_the_same_request_id_gives_different_ciphertexts(SealApi api)
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.WithMarker(150);
        var options = new SealOptions { ChunkSize = 64, RequestId = RequestId.New() };

        var a = Envelopes.Seal(api, key, payload, options);
        var b = Envelopes.Seal(api, key, payload, options);

        var la = Layout.Of(a);
        var lb = Layout.Of(b);
        Assert.Equal(a.Length, b.Length);
        Assert.NotEqual(a[8..40], b[8..40]);
        Assert.Equal(a[40..la.HeaderLength], b[40..lb.HeaderLength]);
        for (var i = 0; i < la.Chunks.Count; i++)
        {
            Assert.NotEqual(la.Chunk(a, i), lb.Chunk(b, i));
            Assert.NotEqual(la.Chunk(a, i)[..16], lb.Chunk(b, i)[..16]);
        }

        Assert.Equal(payload, Envelopes.Open(OpenApi.Span, key, a).Payload);
        Assert.Equal(payload, Envelopes.Open(OpenApi.Span, key, b).Payload);
    }

    [Fact]
    public void Salts_of_many_seals_are_all_distinct()
    {
        using var key = TestKeys.Edge();
        var options = new SealOptions { RequestId = RequestId.New() };

        var salts = Enumerable.Range(0, 2000).Select(_ => Convert.ToHexString(EnvelopeSealer.Seal(key, [], options)[8..40])).ToList();

        Assert.Equal(salts.Count, salts.Distinct().Count());
        Assert.DoesNotContain(new string('0', 64), salts);
    }

    [Fact]
    public void Salts_drawn_on_many_threads_are_all_distinct()
    {
        using var key = TestKeys.Edge();
        var salts = new System.Collections.Concurrent.ConcurrentBag<string>();

        Parallel.For(0, 4000, _ => salts.Add(Convert.ToHexString(EnvelopeSealer.Seal(key, "x"u8)[8..40])));

        Assert.Equal(4000, salts.Distinct().Count());
    }

    [Fact]
    public void Request_ids_are_fresh_and_nonzero()
    {
        var ids = Enumerable.Range(0, 2000).Select(_ => RequestId.New()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(default, ids);
    }

    [Fact]
    public void Identical_chunks_of_one_payload_seal_to_different_ciphertexts()
    {
        using var key = TestKeys.Edge();
        var e = EnvelopeSealer.Seal(key, new byte[3 * 64], new SealOptions { ChunkSize = 64 });
        var l = Layout.Of(e);

        Assert.NotEqual(l.Chunk(e, 0), l.Chunk(e, 1));
        Assert.NotEqual(l.Chunk(e, 1)[..64], l.Chunk(e, 2)[..64]);
    }
}
