using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>Changing any one byte of an envelope makes it fail to open, with an <see cref="EnvelopeException"/>.</summary>
public sealed class ByteFlipTests
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
    public void Open_rejects_every_single_byte_flip(bool pad, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key, pad);
        var layout = Layout.Of(envelope);
        Assert.Equal(3, layout.Chunks.Count);
        var failures = new List<string>();

        for (var position = 0; position < envelope.Length; position++)
        {
            foreach (var mask in new byte[] { 0x01, 0x80 })
            {
                var allowed = layout.InHeader(position) ? Sample.HeaderKinds : [EnvelopeErrorKind.AuthenticationFailed];
                if (Sample.Unexpected(api, key, Bytes.WithXor(envelope, position, mask), allowed) is { } what)
                {
                    failures.Add($"byte {position} ^ 0x{mask:x2}: {what}");
                }
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_rejects_every_single_bit_flip_in_the_header(bool pad, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key, pad);
        var layout = Layout.Of(envelope);
        var failures = new List<string>();

        for (var position = 0; position < layout.HeaderLength; position++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var mask = (byte)(1 << bit);
                if (Sample.Unexpected(api, key, Bytes.WithXor(envelope, position, mask), Sample.HeaderKinds) is { } what)
                {
                    failures.Add($"byte {position} ^ 0x{mask:x2}: {what}");
                }
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_flipped_tag_byte_and_names_the_chunk(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key);
        var layout = Layout.Of(envelope);

        for (var chunk = 0; chunk < layout.Chunks.Count; chunk++)
        {
            var lastTagByte = layout.Chunks[chunk].End.GetOffset(envelope.Length) - 1;

            var error = Envelopes.Reject(api, key, Bytes.WithXor(envelope, lastTagByte, 0x01));

            Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
            Assert.Equal(chunk, error.ChunkIndex);
        }
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_a_changed_salt_byte_as_an_authentication_failure_of_chunk_0(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var envelope = Sample.Seal(key);

        var error = Envelopes.Reject(api, key, Bytes.WithXor(envelope, 8 + 31, 0xff));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(0, error.ChunkIndex);
    }
}
