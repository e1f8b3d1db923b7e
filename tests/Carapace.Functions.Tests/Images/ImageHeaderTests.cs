using Carapace.Functions.Images;

namespace Carapace.Functions.Tests.Images;

/// <summary>The public header reads without a key and refuses what is not a v1 image, with typed errors.</summary>
public sealed class ImageHeaderTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly PackedImage _image;
    private readonly byte[] _bytes;

    public ImageHeaderTests()
    {
        _tree.File("a.txt", 9000);
        _image = PackedImage.Pack(_tree.Source, _tree.Output("image.img"));
        _bytes = File.ReadAllBytes(_image.Path);
    }

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Reads_id_root_block_count_and_version_without_a_key()
    {
        using var stream = new MemoryStream(_bytes);
        var header = ImageHeader.Read(stream);
        Assert.Equal(1, header.Version);
        Assert.Equal(_image.Id, header.ImageId.ToArray());
        Assert.Equal(_image.Root, header.Root.ToArray());
        Assert.Equal(Convert.ToHexStringLower(_image.Root), header.RootHex);
        Assert.Equal(_image.Description.RootHex, header.RootHex);
        Assert.Equal(Convert.ToHexStringLower(_image.Id), header.ImageIdHex);
        Assert.Equal(4, header.BlockCount);
        Assert.Equal(_bytes.Length, header.ImageBytes);
        Assert.Equal(ImageHeader.Length, stream.Position);
        Assert.True(_bytes.AsSpan(0, 4).SequenceEqual("CRPI"u8));
    }

    [Fact]
    public void Bad_magic_is_typed()
    {
        _bytes[0] = (byte)'X';
        Assert.Equal(ImageFormatErrorKind.BadMagic, Read(_bytes).Kind);
        Assert.Equal(ImageFormatErrorKind.BadMagic, Read("CRPE"u8.ToArray()).Kind);
    }

    [Fact]
    public void Another_version_is_typed()
    {
        _bytes[4] = 2;
        var error = Read(_bytes);
        Assert.Equal(ImageFormatErrorKind.UnsupportedVersion, error.Kind);
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(95)]
    [InlineData(96)]
    [InlineData(5000)]
    public void Truncation_is_typed(int length) => Assert.Equal(ImageFormatErrorKind.Truncated, Read(_bytes[..length]).Kind);

    [Fact]
    public void Trailing_bytes_are_malformed() => Assert.Equal(ImageFormatErrorKind.Malformed, Read([.. _bytes, 0]).Kind);

    [Theory]
    [InlineData(5)] // block size
    [InlineData(6)] // reserved
    [InlineData(7)] // reserved
    [InlineData(40)] // block count (high byte)
    [InlineData(47)] // block count (low byte)
    [InlineData(55)] // leaf table offset
    [InlineData(63)] // block area offset
    public void Inconsistent_fields_are_malformed(int offset)
    {
        _bytes[offset] ^= 0x10;
        var kind = Read(_bytes).Kind;
        Assert.True(kind is ImageFormatErrorKind.Malformed or ImageFormatErrorKind.Truncated, kind.ToString());
    }

    [Fact]
    public void A_stream_that_cannot_seek_is_checked_up_to_the_header()
    {
        using var stream = new ForwardOnlyStream(_bytes[..ImageHeader.Length]);
        Assert.Equal(_image.Root, ImageHeader.Read(stream).Root.ToArray());
    }

    private static ImageFormatException Read(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return Assert.Throws<ImageFormatException>(() => ImageHeader.Read(stream));
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
