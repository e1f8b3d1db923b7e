using Carapace.Enclave.FileSystem.Image;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>The sample tree packed and mounted once for a test class that only reads; cleaned up afterwards.</summary>
public sealed class SampleImageFixture : IDisposable
{
    private readonly TempTree _tree = new();

    public SampleImageFixture()
    {
        Files = SampleTree.Create(_tree);
        Packed = PackedImage.Pack(_tree.Source, _tree.Output("sample.img"));
        Image = Packed.Mount();
    }

    internal Dictionary<string, byte[]> Files { get; }

    internal PackedImage Packed { get; }

    internal ShieldedImage Image { get; }

    public void Dispose()
    {
        Image.Dispose();
        _tree.Dispose();
    }
}
