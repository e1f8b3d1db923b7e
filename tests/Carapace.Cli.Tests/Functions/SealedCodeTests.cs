using System.Text;
using Carapace.Functions;

namespace Carapace.Cli.Tests.Functions;

/// <summary>
/// Sealed code through <c>carapace run</c> and the real enclave: the module runs from inside its shielded image, the host
/// side (the worker's module cache, the image file) holds only the public stub, and an image that does not hold the
/// measured module is refused.
/// </summary>
public sealed class SealedCodeTests : CliFixture
{
    [Fact]
    public async Task A_sealed_module_runs_from_its_image_and_the_module_cache_holds_only_the_public_stub()
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));

        var run = await Run(Text("sealed, still runs\n"), "run", RepoPaths.Example("hello"), "--sealed-code", "--cache-dir", Dir.File("cache"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("SEALED, STILL RUNS\n", run.StdoutText);
        // The worker cached what it was given to compile: the stub, never the sealed module in any form.
        var cached = Directory.GetFiles(Dir.File("cache"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(cached);
        foreach (var file in cached)
        {
            Assert.False(SealedCodeScan.Contains(await File.ReadAllBytesAsync(file), module), $"{file} holds bytes of the sealed module");
        }

        // Control: the same module run in the clear leaves a compiled copy that the scan does find.
        var clear = await Run(Text("x"), "run", RepoPaths.Example("hello"), "--cache-dir", Dir.File("clear-cache"));
        Assert.True(clear.ExitCode == 0, clear.Stderr);
        Assert.Contains(Directory.GetFiles(Dir.File("clear-cache"), "*", SearchOption.AllDirectories),
            file => SealedCodeScan.Contains(File.ReadAllBytes(file), module));
    }

    [Fact]
    public async Task An_image_that_holds_another_module_than_the_measured_one_is_refused()
    {
        // The image holds wordcount, the measurement says hello: the enclave reads the code only to refuse it.
        Directory.CreateDirectory(Dir.File("tree/" + SealedCode.DirectoryInImage));
        File.Copy(RepoPaths.Example("wordcount"), Dir.File("tree/" + SealedCode.PathInImage));
        var pack = await Run(null, "pack", Dir.File("tree"), "--out", Dir.File("code.img"));
        Assert.True(pack.ExitCode == 0, pack.Stderr);

        var run = await Run(Text("x"), "run", RepoPaths.Example("hello"), "--sealed-code", "--image", Dir.File("code.img"), "--cache-dir", Dir.File("cache"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("is not the measured code", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("X", run.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_modified_block_of_the_sealed_module_is_an_integrity_violation()
    {
        Directory.CreateDirectory(Dir.File("tree/" + SealedCode.DirectoryInImage));
        File.Copy(RepoPaths.Example("hello"), Dir.File("tree/" + SealedCode.PathInImage));
        var pack = await Run(null, "pack", Dir.File("tree"), "--out", Dir.File("code.img"));
        Assert.True(pack.ExitCode == 0, pack.Stderr);
        var untouched = await Run(Text("ok"), "run", RepoPaths.Example("hello"), "--sealed-code", "--image", Dir.File("code.img"), "--cache-dir", Dir.File("cache"));
        Assert.True(untouched.ExitCode == 0, untouched.Stderr);
        Assert.Equal("OK", untouched.StdoutText);

        // The last block slot is the module's last block (the metadata comes first): flip one ciphertext bit of it.
        var bytes = await File.ReadAllBytesAsync(Dir.File("code.img"));
        bytes[^100] ^= 0x01;
        await File.WriteAllBytesAsync(Dir.File("code.img"), bytes);
        var run = await Run(Text("x"), "run", RepoPaths.Example("hello"), "--sealed-code", "--image", Dir.File("code.img"), "--cache-dir", Dir.File("cache"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("integrity violation", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.StdoutText);
    }

    [Fact]
    public async Task Sealed_code_with_an_image_that_lacks_the_module_names_the_missing_path()
    {
        Directory.CreateDirectory(Dir.File("tree"));
        File.WriteAllText(Dir.File("tree/other.txt"), "no code here");
        var pack = await Run(null, "pack", Dir.File("tree"), "--out", Dir.File("data.img"));
        Assert.True(pack.ExitCode == 0, pack.Stderr);

        var run = await Run(Text("x"), "run", RepoPaths.Example("hello"), "--sealed-code", "--image", Dir.File("data.img"), "--cache-dir", Dir.File("cache"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(SealedCode.PathInImage, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_public_stub_is_a_command_module_the_gateway_accepts()
    {
        var validation = Carapace.Functions.Modules.CommandModule.Validate(SealedCode.PublicStub);
        Assert.True(validation.IsValid, validation.Describe("the stub"));
    }
}

/// <summary>Looks for a module's bytes in a file: any 48-byte window of the module's code and data sections.</summary>
internal static class SealedCodeScan
{
    public static bool Contains(ReadOnlySpan<byte> haystack, byte[] module, byte[]? excluding = null)
    {
        // Windows from the second half of the module (its code and data, not the type and import sections that every
        // WASI module shares), every 256 bytes; windows that also occur in <excluding> (another module linked with the
        // same wasi-libc functions) say nothing about this one.
        for (var start = module.Length / 2; start + 48 <= module.Length; start += 256)
        {
            var window = module.AsSpan(start, 48);
            if (excluding is not null && excluding.AsSpan().IndexOf(window) >= 0)
            {
                continue;
            }

            if (haystack.IndexOf(window) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
