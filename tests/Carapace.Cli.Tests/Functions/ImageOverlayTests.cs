using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Images;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Tests.Functions;

/// <summary>An image's writable overlay through the real enclave path: per invocation, in memory, never on the host.</summary>
public sealed class ImageOverlayTests : CliFixture
{
    [Fact]
    public async Task Run_mounts_an_image_at_root_and_writes_into_it_without_changing_the_file()
    {
        Directory.CreateDirectory(Dir.File("tree/etc"));
        File.WriteAllText(Dir.File("tree/etc/notes.txt"), "from the image\n");
        var pack = await Run(null, "pack", Dir.File("tree"), "--out", Dir.File("root.img"));
        Assert.True(pack.ExitCode == 0, pack.Stderr);
        var before = SHA256.HashData(File.ReadAllBytes(Dir.File("root.img")));

        var run = await Run(Text("written in the enclave\n"), "run", RepoPaths.Example("notes"), "--image", Dir.File("root.img") + ":/",
            "--arg", "/etc/notes.txt", "--cache-dir", Dir.File("cache"));
        var atData = await Run(Text("x\n"), "run", RepoPaths.Example("notes"), "--image", Dir.File("root.img"),
            "--arg", "/etc/notes.txt", "--cache-dir", Dir.File("cache"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("from the image\nwritten in the enclave\n", run.StdoutText);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(Dir.File("root.img"))));
        Assert.Equal(-1, File.ReadAllBytes(Dir.File("root.img")).AsSpan().IndexOf("written in the enclave"u8));

        // At the default /data the image is not at /etc: the guest holds no directory there.
        Assert.Equal(1, atData.ExitCode);
        Assert.Contains("/etc/notes.txt", atData.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_guest_path_is_a_usage_error()
    {
        var run = await Run(null, "run", RepoPaths.Example("notes"), "--image", Dir.File("x.img") + ":/a/../b");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not normalised", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_written_persists_into_the_next_invocation_of_the_same_enclave()
    {
        Directory.CreateDirectory(Dir.File("tree"));
        File.WriteAllText(Dir.File("tree/notes.txt"), "base\n");
        var key = RandomNumberGenerator.GetBytes(32);
        var id = ImageKeys.NewImageId();
        ImageDescription description;
        using (var output = new FileStream(Dir.File("site.img"), FileMode.CreateNew, FileAccess.ReadWrite))
        {
            description = ImagePacker.Pack(Dir.File("tree"), output, id, key);
        }

        var module = await File.ReadAllBytesAsync(RepoPaths.Example("notes"));
        var manifest = new FunctionManifest { Name = "notes", Image = new ImageReference(id, description.Root.ToArray(), "/srv") , Arguments = ["/srv/notes.txt"] };
        using var plan = ProvisioningPlan.Create(module, manifest, key, runtimeIdentity: ReferenceValues.Load().RuntimeIdentityValue);
        await using var cells = new StemCellPool(new EnclaveLaunchOptions(), size: 0);
        await using var pool = new FunctionPool(cells, new FunctionDefinition
        {
            Module = module,
            ImagePath = Dir.File("site.img"),
            Provision = (ready, _) => Task.FromResult<IProvisioningSession>(plan.ProvisionFor(ready)),
            MaxInstances = 1,
        }, new ModuleCacheStore(Dir.File("cache")));

        var first = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "one\n"u8, new SealOptions { Function = "notes" }));
        var second = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "two\n"u8, new SealOptions { Function = "notes" }));

        Assert.Equal(first.EnclaveProcessId, second.EnclaveProcessId);
        Assert.Equal("base\none\n", Output(plan, first.Result));
        Assert.Equal("base\ntwo\n", Output(plan, second.Result));
    }

    private static string Output(ProvisioningPlan plan, ResultMessage result)
    {
        Assert.True(result.Status == InvocationStatus.Completed && result.ExitCode == 0, result.Message);
        using var opened = EnvelopeOpener.Open(plan.Output, result.Output.Span);
        return Encoding.UTF8.GetString(opened.Payload.Span);
    }
}
