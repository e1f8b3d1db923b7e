using System.Text;

namespace Carapace.Tests;

/// <summary>A temporary directory for one test (a source tree, output files such as images and keys); deleted on dispose.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "carapace-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Where the source tree goes.</summary>
    public string Source => System.IO.Directory.CreateDirectory(Path.Combine(Root, "src")).FullName;

    /// <summary>A path for an output file, outside the source tree.</summary>
    public string Output(string name) => Path.Combine(Root, name);

    /// <summary>Writes <paramref name="length"/> deterministic pseudo-random bytes to a file of the source tree and returns them.</summary>
    public byte[] File(string relative, int length, int seed = 1)
    {
        var content = Bytes(length, seed);
        System.IO.File.WriteAllBytes(Full(relative), content);
        return content;
    }

    /// <summary>Writes text to a file of the source tree and returns its bytes.</summary>
    public byte[] Text(string relative, string text)
    {
        var content = Encoding.UTF8.GetBytes(text);
        System.IO.File.WriteAllBytes(Full(relative), content);
        return content;
    }

    public void Directory(string relative) => System.IO.Directory.CreateDirectory(Path.Combine(Source, relative));

    public static byte[] Bytes(int length, int seed)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        return content;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a test that failed may still hold a file open.
        }
    }

    private string Full(string relative)
    {
        var full = Path.Combine(Source, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return full;
    }
}
