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
}
