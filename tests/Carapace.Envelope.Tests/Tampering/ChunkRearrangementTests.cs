using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>Reordered, duplicated, dropped, spliced or extra chunks fail: the index and final flag are in the nonce.</summary>
public sealed class ChunkRearrangementTests
{
    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_two_swapped_chunks(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var l = Layout.Of(e);

        var error = Envelopes.Reject(api, key, Bytes.Concat(l.Header(e), l.Chunk(e, 1), l.Chunk(e, 0), l.Chunk(e, 2)));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(0, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_duplicated_chunk(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var l = Layout.Of(e);

        var error = Envelopes.Reject(api, key, Bytes.Concat(l.Header(e), l.Chunk(e, 0), l.Chunk(e, 0), l.Chunk(e, 1), l.Chunk(e, 2)));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(1, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_an_envelope_missing_a_middle_chunk(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var l = Layout.Of(e);

        var error = Envelopes.Reject(api, key, Bytes.Concat(l.Header(e), l.Chunk(e, 0), l.Chunk(e, 2)));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(1, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_chunk_spliced_from_another_envelope_with_the_same_key_and_request_id(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var a = Sample.Seal(key);
        var b = Sample.Seal(key);
        var la = Layout.Of(a);
        var lb = Layout.Of(b);
        Assert.Equal(la.Header(a)[44..], lb.Header(b)[44..]);

        var error = Envelopes.Reject(api, key, Bytes.Concat(la.Header(a), la.Chunk(a, 0), lb.Chunk(b, 1), la.Chunk(a, 2)));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(1, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_the_chunks_of_one_envelope_under_the_header_of_another(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var a = Sample.Seal(key);
        var b = Sample.Seal(key);
        var la = Layout.Of(a);

        var error = Envelopes.Reject(api, key, Bytes.Concat(Layout.Of(b).Header(b), a[la.HeaderLength..]));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(0, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_final_chunk_moved_to_the_front(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key, length: 2 * Sample.ChunkSize);
        var l = Layout.Of(e);

        var error = Envelopes.Reject(api, key, Bytes.Concat(l.Header(e), l.Chunk(e, 1), l.Chunk(e, 0)));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
    }

    public static TheoryData<int, int, OpenApi> GarbageCases()
    {
        var data = new TheoryData<int, int, OpenApi>();
        foreach (var payloadLength in new[] { Sample.PayloadLength, 3 * Sample.ChunkSize, 0 })
        {
            foreach (var garbage in new[] { 1, 15, 16, 17, 80, 81, 200 })
            {
                foreach (var api in Envelopes.OpenApis)
                {
                    data.Add(payloadLength, garbage, api);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GarbageCases))]
    public void Open_rejects_garbage_appended_after_the_final_chunk(int payloadLength, int garbage, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key, length: payloadLength);

        var what = Sample.Unexpected(api, key, Bytes.Concat(e, Payloads.Random(garbage)),
            EnvelopeErrorKind.AuthenticationFailed, EnvelopeErrorKind.Truncated);

        Assert.Null(what);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_copy_of_the_final_chunk_appended(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key, length: 3 * Sample.ChunkSize);
        var l = Layout.Of(e);

        var error = Envelopes.Reject(api, key, Bytes.Concat(e, l.Chunk(e, 2)));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(2, error.ChunkIndex);
    }
}
