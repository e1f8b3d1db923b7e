using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Tests.Support;

/// <summary>Fixed master keys and the edge keys derived from them.</summary>
internal static class TestKeys
{
    public const string Chain = "test-chain";

    /// <summary>32 key bytes start, start+1, … (mod 256).</summary>
    public static byte[] MasterBytes(int start = 0) => Enumerable.Range(start, MasterKey.Size).Select(i => (byte)i).ToArray();

    public static MasterKey Master(int start = 0) => MasterKey.FromBytes(MasterBytes(start));

    public static EdgeKey Edge(string chain = Chain, int from = 0, int to = 1, int masterStart = 0)
    {
        using var master = Master(masterStart);
        return master.Derive(chain, from, to);
    }

    public static byte[] EdgeBytes(EdgeKey key)
    {
        var bytes = new byte[EdgeKey.Size];
        key.CopyTo(bytes);
        return bytes;
    }
}
