using Carapace.Controller.Registry;

namespace Carapace.Platform;

/// <summary>
/// The host files of actions' images, <c>&lt;data dir&gt;/images/&lt;sha256&gt;.img</c>, from which enclaves read
/// (and verify) their blocks. Each is written once, atomically (a temporary file moved into place), and never
/// rewritten: the file is untrusted storage, so a modified file is caught by the enclave, not repaired here.
/// </summary>
internal sealed class ImageFiles(string directory)
{
    /// <summary>The directory, under the data directory, that holds the image files.</summary>
    public static string DirectoryIn(string dataDirectory) => Path.Combine(dataDirectory, "images");

    /// <summary>The path of <paramref name="image"/>'s file, writing it from <paramref name="bytes"/> if it is not there yet.</summary>
    /// <exception cref="InvalidOperationException">The file is missing and the registry has no blob for it.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public string PathOf(ActionImage image, Func<string, byte[]?> bytes)
    {
        ArgumentNullException.ThrowIfNull(image);
        var path = Path.Combine(directory, image.Sha256 + ".img");
        if (File.Exists(path))
        {
            return path;
        }

        var content = bytes(image.Sha256) ?? throw new InvalidOperationException($"the image {image.Sha256} is missing from the registry");
        Directory.CreateDirectory(directory);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another specialisation wrote the same content first.
        }
        finally
        {
            File.Delete(temporary);
        }

        return path;
    }
}
