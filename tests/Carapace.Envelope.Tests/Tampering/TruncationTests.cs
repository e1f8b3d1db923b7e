using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>An envelope cut short anywhere is rejected; cut between chunks or inside the header it is Truncated.</summary>
public sealed class TruncationTests
{
    public static TheoryData<bool, OpenApi> Cases()
    {
        var data = new TheoryData<bool, OpenApi>();
        foreach (var pad in new[] { false, true })
        {
            foreach (var api in Envelopes.OpenApis)
            {
                data.Add(pad, api);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_reports_truncation_at_every_chunk_boundary(bool pad, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key, pad);
        var layout = Layout.Of(envelope);

        // After the header (no chunks), after chunk 0 and after chunk 1: never after the final chunk.
        var boundaries = layout.Chunks.Take(layout.Chunks.Count - 1).Select(r => r.End.GetOffset(envelope.Length)).Prepend(layout.HeaderLength);
        foreach (var cut in boundaries)
        {
            var error = Envelopes.Reject(api, key, envelope[..cut]);

            Assert.Equal(EnvelopeErrorKind.Truncated, error.Kind);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_rejects_the_envelope_cut_at_every_byte_offset(bool pad, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key, pad);
        var layout = Layout.Of(envelope);
        var failures = new List<string>();

        for (var cut = 0; cut < envelope.Length; cut++)
        {
            var allowed = cut < layout.HeaderLength
                ? [EnvelopeErrorKind.Truncated]
                : new[] { EnvelopeErrorKind.Truncated, EnvelopeErrorKind.AuthenticationFailed };
            if (Sample.Unexpected(api, key, envelope[..cut], allowed) is { } what)
            {
                failures.Add($"cut at {cut}: {what}");
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_header_without_chunks_as_truncated(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key);

        var error = Envelopes.Reject(api, key, Layout.Of(envelope).Header(envelope));

        Assert.Equal(EnvelopeErrorKind.Truncated, error.Kind);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_empty_input_as_truncated(OpenApi api)
    {
        using var key = TestKeys.Edge();

        var error = Envelopes.Reject(api, key, []);

        Assert.Equal(EnvelopeErrorKind.Truncated, error.Kind);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_reports_the_chunk_after_which_the_envelope_was_cut(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key);
        var layout = Layout.Of(envelope);

        var error = Envelopes.Reject(api, key, envelope[..layout.Chunks[1].End.GetOffset(envelope.Length)]);

        Assert.Equal(EnvelopeErrorKind.Truncated, error.Kind);
        Assert.Equal(1, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_reports_truncation_of_an_envelope_whose_chunks_are_all_full(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key, length: 3 * Sample.ChunkSize);
        var layout = Layout.Of(envelope);
        Assert.Equal(3, layout.Chunks.Count);

        var error = Envelopes.Reject(api, key, envelope[..layout.Chunks[1].End.GetOffset(envelope.Length)]);

        Assert.Equal(EnvelopeErrorKind.Truncated, error.Kind);
    }
}
