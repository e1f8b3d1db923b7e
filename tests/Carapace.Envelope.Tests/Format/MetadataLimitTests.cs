using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Format;

/// <summary>Sealing checks every metadata limit (in UTF-8 bytes, not characters) and throws ArgumentException.</summary>
public sealed class MetadataLimitTests
{
    public static TheoryData<string> OverLimit() =>
    [
        "function-257", "function-129-two-byte-chars", "content-type-257", "65-attributes", "empty-attribute-name",
        "attribute-name-129", "attribute-name-65-two-byte-chars", "attribute-value-1025", "metadata-over-16-KiB",
    ];

    [Theory]
    [MemberData(nameof(OverLimit))]
    public void Seal_rejects_metadata_over_a_limit_with_an_argument_exception(string limit)
    {
        using var key = TestKeys.Edge();
        var options = Options(limit);

        Assert.ThrowsAny<ArgumentException>(() => EnvelopeSealer.Seal(key, "x"u8, options));
    }

    [Theory]
    [MemberData(nameof(OverLimit))]
    public void Stream_seal_rejects_metadata_over_a_limit_before_writing_anything(string limit)
    {
        using var key = TestKeys.Edge();
        using var source = new MemoryStream([1, 2, 3]);
        using var destination = new MemoryStream();

        Assert.ThrowsAny<ArgumentException>(() => Envelopes.Wait(EnvelopeSealer.SealAsync(key, source, destination, Options(limit))));
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public void Seal_accepts_every_field_exactly_at_its_limit()
    {
        using var key = TestKeys.Edge(new string('c', 256), 0, 1);
        var attributes = Enumerable.Range(0, 63).ToDictionary(i => $"k{i}", i => "v");
        attributes[new string('n', 128)] = new string('v', 1024);
        var options = new SealOptions
        {
            Function = new string('é', 128),
            ContentType = new string('t', 256),
            Attributes = attributes,
        };

        var envelope = EnvelopeSealer.Seal(key, "x"u8, options);
        var m = Envelopes.Open(OpenApi.Span, key, envelope).Metadata;

        Assert.Equal(64, m.Attributes.Count);
        Assert.Equal(options.Function, m.Function);
        Assert.Equal(new string('v', 1024), m.Attributes[new string('n', 128)]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(63)]
    [InlineData(100)]
    [InlineData(65_535)]
    [InlineData(8 << 20)]
    [InlineData(-64)]
    public void Seal_rejects_a_chunk_size_that_is_not_a_power_of_two_from_64_bytes_to_4_MiB(int chunkSize)
    {
        using var key = TestKeys.Edge();

        Assert.Throws<ArgumentOutOfRangeException>(() => EnvelopeSealer.Seal(key, "x"u8, new SealOptions { ChunkSize = chunkSize }));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(4 << 20)]
    public void Seal_accepts_the_smallest_and_largest_chunk_sizes(int chunkSize)
    {
        using var key = TestKeys.Edge();

        var envelope = EnvelopeSealer.Seal(key, "x"u8, new SealOptions { ChunkSize = chunkSize });

        Assert.Equal(chunkSize, EnvelopeHeader.Parse(envelope).ChunkSize);
        Assert.Equal("x"u8.ToArray(), Envelopes.Open(OpenApi.Stream, key, envelope).Payload);
    }

    private static SealOptions Options(string limit) => limit switch
    {
        "function-257" => new SealOptions { Function = new string('f', 257) },
        "function-129-two-byte-chars" => new SealOptions { Function = new string('é', 129) },
        "content-type-257" => new SealOptions { ContentType = new string('t', 257) },
        "65-attributes" => new SealOptions { Attributes = Enumerable.Range(0, 65).ToDictionary(i => $"k{i}", _ => "v") },
        "empty-attribute-name" => new SealOptions { Attributes = new Dictionary<string, string> { [string.Empty] = "v" } },
        "attribute-name-129" => new SealOptions { Attributes = new Dictionary<string, string> { [new string('n', 129)] = "v" } },
        "attribute-name-65-two-byte-chars" => new SealOptions { Attributes = new Dictionary<string, string> { [new string('ß', 65)] = "v" } },
        "attribute-value-1025" => new SealOptions { Attributes = new Dictionary<string, string> { ["k"] = new string('v', 1025) } },
        _ => new SealOptions { Attributes = Enumerable.Range(0, 64).ToDictionary(i => $"k{i:d3}{new string('n', 100)}", _ => new string('v', 1024)) },
    };
}
