using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Tests.Golden;

/// <summary>The checked-in files of TestData/golden-v1 (see the README there).</summary>
internal static class GoldenFiles
{
    public const string Chain = "golden";
    public const string RequestIdHex = "00112233445566778899aabbccddeeff";
    public const string KeyIdHex = "0e22e99ab4d86e50";

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "TestData", "golden-v1");

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Dir, name));

    public static byte[] Plaintext => Read("plaintext.txt");

    public static byte[] Sealed(bool padded) => Read(padded ? "sealed-v1-padded.crpe" : "sealed-v1.crpe");

    /// <summary>Git checks files out 0644, which <see cref="KeyFile.Read"/> refuses, so parse the content.</summary>
    public static MasterKey MasterKey() => KeyFile.Parse(Read("master.key"), "golden-v1/master.key");

    public static EdgeKey EdgeKey()
    {
        using var master = MasterKey();
        return master.Derive(Chain, 0, 1);
    }

    public static RequestId RequestId => RequestId.TryParse(RequestIdHex, out var id) ? id : throw new InvalidOperationException();

    public static IReadOnlyDictionary<string, string> Attributes { get; } =
        new Dictionary<string, string> { ["purpose"] = "golden-file", ["trace"] = "t-0001" };
}
