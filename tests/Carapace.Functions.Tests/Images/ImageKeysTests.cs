using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Functions.Images;

namespace Carapace.Functions.Tests.Images;

/// <summary>Image keys come from the master key by HKDF over the image id.</summary>
public sealed class ImageKeysTests
{
    [Fact]
    public void Derive_is_hkdf_sha256_over_label_and_id()
    {
        var masterBytes = RandomNumberGenerator.GetBytes(32);
        using var master = MasterKey.FromBytes(masterBytes);
        var id = ImageKeys.NewImageId();
        var expected = HKDF.DeriveKey(HashAlgorithmName.SHA256, masterBytes, 32, [], [.. Encoding.ASCII.GetBytes("carapace image key v1"), .. id]);
        Assert.Equal(expected, ImageKeys.Derive(master, id));
    }

    [Fact]
    public void Different_ids_and_masters_give_different_keys()
    {
        using var master = MasterKey.Generate();
        using var other = MasterKey.Generate();
        var id = ImageKeys.NewImageId();
        Assert.Equal(ImageKeys.Derive(master, id), ImageKeys.Derive(master, id));
        Assert.NotEqual(ImageKeys.Derive(master, id), ImageKeys.Derive(master, ImageKeys.NewImageId()));
        Assert.NotEqual(ImageKeys.Derive(master, id), ImageKeys.Derive(other, id));
    }

    [Fact]
    public void Ids_and_destinations_of_the_wrong_length_are_refused()
    {
        using var master = MasterKey.Generate();
        Assert.Throws<ArgumentException>(() => ImageKeys.Derive(master, new byte[15]));
        Assert.Throws<ArgumentException>(() => ImageKeys.Derive(master, new byte[16], new byte[31]));
    }
}
