using Carapace.Functions;

namespace Carapace.Functions.Tests;

public sealed class FunctionManifestTests
{
    [Theory]
    [InlineData("A", "x\0y", "contains a NUL character")]
    [InlineData("A\0B", "x", "contains a NUL character")]
    [InlineData("A=B", "x", "contains '='")]
    [InlineData("", "x", "empty variable name")]
    public void Validate_refuses_an_environment_WASI_cannot_pass(string name, string value, string expected)
    {
        var manifest = new FunctionManifest { Environment = [new(name, value)] };

        var e = Assert.Throws<ArgumentException>(manifest.Validate);

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_refuses_a_lone_surrogate_which_has_no_UTF8_form()
    {
        var manifest = new FunctionManifest { Environment = [new("A", "x" + (char)0xD800)] };

        Assert.Contains("is not valid Unicode", Assert.Throws<ArgumentException>(manifest.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_refuses_NUL_in_the_name_and_arguments_and_oversized_text()
    {
        Assert.Throws<ArgumentException>(new FunctionManifest { Name = "f\0" }.Validate);
        Assert.Throws<ArgumentException>(new FunctionManifest { Arguments = ["a\0"] }.Validate);
        Assert.Throws<ArgumentException>(new FunctionManifest { Arguments = [new string('a', FunctionManifest.MaxTextBytes + 1)] }.Validate);
        Assert.Throws<ArgumentException>(new FunctionManifest { Environment = [new("A", new string('a', FunctionManifest.MaxTextBytes + 1))] }.Validate);
        var many = Enumerable.Range(0, 9).Select(i => new KeyValuePair<string, string>($"V{i}", new string('a', FunctionManifest.MaxTextBytes))).ToArray();
        Assert.Contains("bytes in all", Assert.Throws<ArgumentException>(new FunctionManifest { Environment = many }.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_refuses_a_manifest_with_a_NUL_so_an_enclave_never_gets_one()
    {
        // Encode a valid manifest, then turn one character of a value into NUL (same length, still canonical CBOR).
        var encoded = new FunctionManifest { Environment = [new("GREETING", "hi#there")] }.Encode();
        var at = encoded.AsSpan().IndexOf("hi#there"u8) + 2;
        encoded[at] = 0;

        var e = Assert.Throws<FormatException>(() => FunctionManifest.Decode(encoded));

        Assert.Contains("NUL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_at_the_default_mount_encodes_as_before_and_another_mount_path_is_measured()
    {
        var id = new byte[16];
        var root = new byte[32];
        var atData = new FunctionManifest { Image = new ImageReference(id, root) };
        var explicitData = new FunctionManifest { Image = new ImageReference(id, root, "/data") };
        var atRoot = new FunctionManifest { Image = new ImageReference(id, root, "/") };

        // The encoding of a /data mount has no mount path in it (manifests from before mount paths keep their measurement).
        Assert.Equal(atData.Encode(), explicitData.Encode());
        Assert.DoesNotContain("/data", System.Text.Encoding.UTF8.GetString(atData.Encode()), StringComparison.Ordinal);
        Assert.NotEqual(atData.Encode(), atRoot.Encode());
        Assert.Equal("/", FunctionManifest.Decode(atRoot.Encode()).Image!.MountPath);
        Assert.Equal("/data", FunctionManifest.Decode(atData.Encode()).Image!.MountPath);
    }

    [Fact]
    public void Decode_refuses_a_written_default_mount_path_so_each_manifest_has_one_encoding()
    {
        // [id, root, "/data"]: what no encoder writes (the default is left out), so a decoder must not accept it.
        var w = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Canonical);
        w.WriteStartMap(1);
        w.WriteTextString("image");
        w.WriteStartArray(3);
        w.WriteByteString(new byte[16]);
        w.WriteByteString(new byte[32]);
        w.WriteTextString("/data");
        w.WriteEndArray();
        w.WriteEndMap();

        Assert.Contains("not be canonical", Assert.Throws<FormatException>(() => FunctionManifest.Decode(w.Encode())).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data", "must be absolute")]
    [InlineData("/data/", "not normalised")]
    [InlineData("/a//b", "not normalised")]
    [InlineData("/a/./b", "not normalised")]
    [InlineData("/a/..", "not normalised")]
    [InlineData("/a\0b", "without NUL")]
    public void Validate_refuses_a_mount_path_that_is_not_absolute_and_normalised(string mount, string expected)
    {
        var manifest = new FunctionManifest { Image = new ImageReference(new byte[16], new byte[32], mount) };

        Assert.Contains(expected, Assert.Throws<ArgumentException>(manifest.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_cannot_be_mounted_at_tmp_while_the_function_has_one()
    {
        var image = new ImageReference(new byte[16], new byte[32], "/tmp");

        Assert.Contains("/tmp", Assert.Throws<ArgumentException>(new FunctionManifest { Image = image }.Validate).Message, StringComparison.Ordinal);
        new FunctionManifest { Image = image, TmpBytes = 0 }.Validate();
    }
}
