using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.RoundTrip;

/// <summary>The default 64 KiB chunk size around its chunk boundaries, every sealer/opener pair, padded or not.</summary>
public sealed class DefaultChunkRoundTripTests
{
    private const int Cs = EnvelopeHeader.DefaultChunkSize;

    public static TheoryData<int, bool, SealApi, OpenApi> Cases()
    {
        var data = new TheoryData<int, bool, SealApi, OpenApi>();
        foreach (var size in new[] { 0, 1, Cs - 1, Cs, Cs + 1, 3 * Cs })
        {
            foreach (var pad in new[] { false, true })
            {
                foreach (var seal in Envelopes.SealApis)
                {
                    foreach (var open in Envelopes.OpenApis)
                    {
                        data.Add(size, pad, seal, open);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Payload_round_trips_with_the_default_chunk_size(int size, bool pad, SealApi seal, OpenApi open)
    {
        using var key = TestKeys.Edge();
        var payload = Payloads.Random(size, seed: size);

        var envelope = Envelopes.Seal(seal, key, payload, new SealOptions { Pad = pad });
        var opened = Envelopes.Open(open, key, envelope);

        Assert.Equal(Cs, EnvelopeHeader.Parse(envelope).ChunkSize);
        Assert.Equal(payload, opened.Payload);
    }
}
