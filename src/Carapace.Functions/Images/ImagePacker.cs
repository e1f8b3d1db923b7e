using System.Globalization;
using System.Security.Cryptography;

namespace Carapace.Functions.Images;

/// <summary>
/// Packs a directory tree into an encrypted, integrity-protected file-system image (format v1, docs/image.md), the
/// read-only tree a function sees at <c>/data</c>.
/// </summary>
public static class ImagePacker
{
    private const int ReadChunk = 1 << 20;

    /// <summary>
    /// Packs the tree at <paramref name="sourceDirectory"/> into <paramref name="output"/>, starting at its current
    /// position. The tree is walked breadth first with each directory's entries sorted by the UTF-8 bytes of their
    /// names; it may hold only regular files and directories. File content is streamed (at most 1 MiB of it is in
    /// memory at a time); file times, modes and owners are not kept.
    /// </summary>
    /// <param name="sourceDirectory">The tree to pack.</param>
    /// <param name="output">Where the image goes: writable and seekable (the leaf table and header are filled in as the blocks are written). On failure its content is unspecified.</param>
    /// <param name="imageId16">The image's id: 16 fresh random bytes (<see cref="ImageKeys.NewImageId"/>).</param>
    /// <param name="imageKey32">The image key (<see cref="ImageKeys.Derive(Envelope.Keys.MasterKey, ReadOnlySpan{byte})"/>). The packer draws a fresh random key salt for every image, so even packing two trees under the same key and id never repeats a nonce.</param>
    /// <param name="progress">Receives the number of file bytes packed so far, about every MiB and at the end.</param>
    /// <returns>The image's id, root (for the function's manifest) and sizes.</returns>
    /// <exception cref="ImagePackException">The tree holds a symbolic link, device, FIFO or socket (all such paths are listed), something cannot be read, a file changed while being packed, or a limit is exceeded: more than 1,000,000 entries, a name over 255 UTF-8 bytes, nesting deeper than 64, or an image over 2^40 bytes.</exception>
    /// <exception cref="ArgumentException">The id or key has the wrong length, or the output cannot be written or seeked.</exception>
    /// <exception cref="IOException">The output could not be written.</exception>
    public static ImageDescription Pack(string sourceDirectory, Stream output, ReadOnlySpan<byte> imageId16, ReadOnlySpan<byte> imageKey32, IProgress<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sourceDirectory);
        ArgumentNullException.ThrowIfNull(output);
        if (imageId16.Length != ImageLayout.IdSize)
        {
            throw new ArgumentException($"an image id is {ImageLayout.IdSize} bytes, not {imageId16.Length}", nameof(imageId16));
        }

        if (imageKey32.Length != ImageLayout.KeySize)
        {
            throw new ArgumentException($"an image key is {ImageLayout.KeySize} bytes, not {imageKey32.Length}", nameof(imageKey32));
        }

        if (!output.CanWrite || !output.CanSeek)
        {
            throw new ArgumentException("the output stream must be writable and seekable", nameof(output));
        }

        var nodes = SourceTreeWalker.Walk(sourceDirectory);
        long dataBytes = 0;
        long dataBlocks = 0;
        var files = 0;
        foreach (var node in nodes)
        {
            if (!node.IsDirectory)
            {
                files++;
                dataBytes += node.Size;
                dataBlocks += ImageLayout.BlocksFor(node.Size);
                if (dataBlocks > ImageLayout.MaxBlocks)
                {
                    throw TooLarge(sourceDirectory);
                }
            }
        }

        var metadata = ImageMetadata.Encode(nodes, out _);
        var plaintext = new byte[ReadChunk];
        try
        {
            var metadataBlocks = metadata.Length / ImageLayout.BlockSize;
            var blockCount = metadataBlocks + dataBlocks;
            if (blockCount > ImageLayout.MaxBlocks)
            {
                throw TooLarge(sourceDirectory);
            }

            using var writer = new ImageWriter(output, blockCount, imageId16, imageKey32);
            for (var block = 0; block < metadataBlocks; block++)
            {
                writer.Write(ImageLayout.MetadataFileId, (ulong)block, metadata.AsSpan(block * ImageLayout.BlockSize, ImageLayout.BlockSize));
            }

            var fileId = 0u;
            var counter = new ProgressCounter(progress);
            foreach (var node in nodes)
            {
                if (!node.IsDirectory)
                {
                    PackFile(node, ++fileId, writer, plaintext, counter);
                }
            }

            var root = writer.Finish();
            counter.Finish();
            return new ImageDescription(imageId16.ToArray(), root, files, nodes.Count - files - 1, dataBytes, ImageLayout.ImageBytes(blockCount));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(metadata);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static void PackFile(SourceEntry file, uint fileId, ImageWriter writer, byte[] buffer, ProgressCounter progress)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        };
        FileStream stream;
        try
        {
            stream = new FileStream(file.FullPath, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(file, e);
        }

        using (stream)
        {
            var remaining = file.Size;
            var block = 0UL;
            while (remaining > 0)
            {
                var want = (int)Math.Min(buffer.Length, remaining);
                if (Read(stream, file, buffer.AsSpan(0, want)) < want)
                {
                    throw Changed(file);
                }

                var blocks = (int)ImageLayout.BlocksFor(want);
                buffer.AsSpan(want, (blocks * ImageLayout.BlockSize) - want).Clear();
                for (var i = 0; i < blocks; i++)
                {
                    writer.Write(fileId, block++, buffer.AsSpan(i * ImageLayout.BlockSize, ImageLayout.BlockSize));
                }

                remaining -= want;
                progress.Add(want);
            }

            if (Read(stream, file, buffer.AsSpan(0, 1)) != 0)
            {
                throw Changed(file);
            }
        }
    }

    private static int Read(FileStream stream, SourceEntry file, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(file, e);
        }
    }

    private static ImagePackException CannotRead(SourceEntry file, Exception e) =>
        new($"cannot read {file.RelativePath}: {e.Message}", e);

    private static ImagePackException Changed(SourceEntry file) =>
        new($"cannot pack {file.RelativePath}: it changed while being packed (it was {file.Size} bytes long)");

    private static ImagePackException TooLarge(string sourceDirectory) =>
        new(string.Create(
            CultureInfo.InvariantCulture,
            $"cannot pack {sourceDirectory}: the image would exceed {ImageLayout.MaxImageBytes:N0} bytes (2^40)"));

    /// <summary>Counts packed bytes and reports them about every MiB (and once at the end), however small the files.</summary>
    private sealed class ProgressCounter(IProgress<long>? progress)
    {
        private long _packed;
        private long _reported;

        public void Add(long bytes)
        {
            _packed += bytes;
            if (progress is not null && _packed - _reported >= ReadChunk)
            {
                _reported = _packed;
                progress.Report(_packed);
            }
        }

        public void Finish() => progress?.Report(_packed);
    }
}
