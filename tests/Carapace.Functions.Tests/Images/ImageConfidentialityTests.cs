using System.Text;
using Carapace.Functions.Images;

namespace Carapace.Functions.Tests.Images;

/// <summary>An image shows no name, content, size or shape of the tree; only its total size (its block count).</summary>
public sealed class ImageConfidentialityTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_image_contains_no_name_or_content_in_the_clear()
    {
        const string Content = "TOP-SECRET-CONTENT-0123456789-";
        _tree.Directory("HIDDEN-DIRECTORY-omega/nested-SUBDIR");
        _tree.Text("HIDDEN-DIRECTORY-omega/nested-SUBDIR/SECRETNAME-alpha.txt", string.Concat(Enumerable.Repeat(Content, 2000)));
        _tree.Text("ДОКУМЕНТ-секрет.txt", "short secret: swordfish");
        _tree.File("zeros.bin", 0);
        File.WriteAllBytes(Path.Combine(_tree.Source, "zeros.bin"), new byte[50_000]);
        var packed = PackedImage.Pack(_tree.Source, _tree.Output("image.img"));
        var bytes = File.ReadAllBytes(packed.Path);

        string[] secrets =
        [
            "HIDDEN-DIRECTORY-omega", "nested-SUBDIR", "SECRETNAME-alpha", "ДОКУМЕНТ-секрет", "swordfish", Content, "TOP-SECRET",
        ];
        foreach (var secret in secrets)
        {
            Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"'{secret}' appears in UTF-8");
            Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"'{secret}' appears in UTF-16");
        }

        // 50,000 zero bytes of plaintext leave no long run of zeros: only the header's reserved bytes are zero.
        Assert.True(LongestZeroRun(bytes.AsSpan(ImageHeader.Length)) < 16);
    }

    [Fact]
    public void Trees_of_the_same_block_count_give_images_of_the_same_length()
    {
        // One file of two blocks ...
        var a = new TempTree();
        var b = new TempTree();
        try
        {
            a.File("x", 5000);

            // ... or two small files in a deeper tree with longer names.
            b.Directory("some-directory/another-one");
            b.File("some-directory/another-one/a-much-longer-file-name.dat", 10);
            b.File("some-directory/second-file-with-a-long-name.txt", 4000);

            var first = PackedImage.Pack(a.Source, a.Output("a.img"));
            var second = PackedImage.Pack(b.Source, b.Output("b.img"));
            Assert.Equal(first.Description.ImageBytes, second.Description.ImageBytes);
            Assert.Equal(new FileInfo(first.Path).Length, new FileInfo(second.Path).Length);
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    [Fact]
    public void The_public_header_holds_only_id_root_and_size()
    {
        _tree.File("f", 10_000);
        var packed = PackedImage.Pack(_tree.Source, _tree.Output("image.img"));
        using var stream = File.OpenRead(packed.Path);
        var header = ImageHeader.Read(stream);
        Assert.Equal(packed.Id, header.ImageId.ToArray());
        Assert.Equal(packed.Root, header.Root.ToArray());
        Assert.Equal(4, header.BlockCount); // one metadata block, three data blocks
        Assert.Equal(stream.Length, header.ImageBytes);
    }

    private static int LongestZeroRun(ReadOnlySpan<byte> bytes)
    {
        var longest = 0;
        var run = 0;
        foreach (var b in bytes)
        {
            run = b == 0 ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }
}
