using System.Buffers.Binary;
using Carapace.Envelope.Format;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>Each fixed header field is checked, with the error kind the spec gives.</summary>
public sealed class HeaderFieldTests
{
    public static TheoryData<OpenApi> Apis() => [.. Envelopes.OpenApis];

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_a_bad_magic_as_malformed(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        foreach (var magic in new[] { "XRPE"u8.ToArray(), "CRPF"u8.ToArray(), "crpe"u8.ToArray(), new byte[4] })
        {
            var tampered = (byte[])e.Clone();
            magic.CopyTo(tampered, 0);

            Assert.Equal(EnvelopeErrorKind.Malformed, Envelopes.Reject(api, key, tampered).Kind);
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_other_format_versions_as_unsupported(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        foreach (var version in new byte[] { 0, 2, 255 })
        {
            var tampered = (byte[])e.Clone();
            tampered[4] = version;

            Assert.Equal(EnvelopeErrorKind.UnsupportedVersion, Envelopes.Reject(api, key, tampered).Kind);
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_unknown_flags_as_malformed(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        foreach (var flags in new byte[] { 0x02, 0x03, 0x80, 0xff })
        {
            var tampered = (byte[])e.Clone();
            tampered[5] = flags;

            Assert.Equal(EnvelopeErrorKind.Malformed, Envelopes.Reject(api, key, tampered).Kind);
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_a_chunk_size_outside_64_bytes_to_4_MiB_as_malformed(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        foreach (var log2 in new byte[] { 0, 5, 23, 31, 255 })
        {
            var tampered = (byte[])e.Clone();
            tampered[6] = log2;

            Assert.Equal(EnvelopeErrorKind.Malformed, Envelopes.Reject(api, key, tampered).Kind);
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_a_nonzero_reserved_byte_as_malformed(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var tampered = Sample.Seal(key);
        tampered[7] = 1;

        Assert.Equal(EnvelopeErrorKind.Malformed, Envelopes.Reject(api, key, tampered).Kind);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_a_metadata_length_over_16_KiB_as_too_large(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        foreach (var length in new uint[] { 16 * 1024 + 1, 1 << 20, uint.MaxValue })
        {
            var tampered = (byte[])e.Clone();
            BinaryPrimitives.WriteUInt32BigEndian(tampered.AsSpan(40), length);

            Assert.Equal(EnvelopeErrorKind.TooLarge, Envelopes.Reject(api, key, tampered).Kind);
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_a_metadata_length_past_the_end_of_the_data_as_truncated(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var tampered = Sample.Seal(key);
        BinaryPrimitives.WriteUInt32BigEndian(tampered.AsSpan(40), 16 * 1024);

        Assert.Equal(EnvelopeErrorKind.Truncated, Envelopes.Reject(api, key, tampered).Kind);
    }

    [Fact]
    public void Header_read_from_a_stream_stops_exactly_at_the_first_chunk()
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        using var stream = new MemoryStream(e);

        var header = Envelopes.Wait(EnvelopeHeader.ReadAsync(stream).AsTask());

        Assert.Equal(header.Length, stream.Position);
        Assert.Equal(EnvelopeHeader.Parse(e).Length, header.Length);
        Assert.Equal(Sample.RequestId, header.Metadata.RequestId);
    }
}
