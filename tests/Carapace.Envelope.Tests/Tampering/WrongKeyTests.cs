using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>An envelope presented to the key of another namespace, chain or edge fails with WrongKey before any decryption.</summary>
public sealed class WrongKeyTests
{
    public static TheoryData<string, OpenApi> Cases()
    {
        var data = new TheoryData<string, OpenApi>();
        foreach (var wrong in new[] { "master", "chain", "from", "to", "reversed" })
        {
            foreach (var api in Envelopes.OpenApis)
            {
                data.Add(wrong, api);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_rejects_an_envelope_sealed_for_another_edge_key(string wrong, OpenApi api)
    {
        using var key = TestKeys.Edge(TestKeys.Chain, 1, 2);
        using var other = wrong switch
        {
            "master" => TestKeys.Edge(TestKeys.Chain, 1, 2, masterStart: 100),
            "chain" => TestKeys.Edge("another-chain", 1, 2),
            "from" => TestKeys.Edge(TestKeys.Chain, 0, 2),
            "to" => TestKeys.Edge(TestKeys.Chain, 1, 3),
            _ => TestKeys.Edge(TestKeys.Chain, 2, 1),
        };
        var e = Sample.Seal(key);

        var error = Envelopes.Reject(api, other, e);

        Assert.Equal(EnvelopeErrorKind.WrongKey, error.Kind);
        Assert.Null(error.ChunkIndex);
        Assert.Contains(key.Id.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains(other.Id.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_opener_writes_nothing_with_the_wrong_key()
    {
        using var key = TestKeys.Edge();
        using var other = TestKeys.Edge(masterStart: 100);

        var (error, written) = Envelopes.OpenStreamRecording(other, Sample.Seal(key));

        Assert.Equal(EnvelopeErrorKind.WrongKey, Assert.IsType<EnvelopeException>(error).Kind);
        Assert.Empty(written.Bytes);
    }
}
