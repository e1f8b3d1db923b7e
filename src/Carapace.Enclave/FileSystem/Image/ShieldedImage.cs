using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using Carapace.Enclave.Wasi;
using Carapace.Functions.Images;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// A mounted file-system image (format v1, docs/image.md): the read-only tree a function sees at <c>/data</c>,
/// read from an untrusted host file. <see cref="Mount(string, ReadOnlySpan{byte}, ReadOnlySpan{byte}, int)"/> checks the
/// whole image against the root the function was measured with; after that every block read is decrypted with
/// AES-256-GCM and its tag compared with the verified one, so modified, swapped, foreign or rolled-back blocks fail
/// with <see cref="IntegrityViolationException"/> and no unverified byte ever reaches the caller. The decrypted
/// metadata and a bounded cache of verified, decrypted blocks are kept in memory and zeroed by <see cref="Dispose"/>,
/// with the key. Thread-safe.
/// </summary>
public sealed class ShieldedImage : IFileSystem, IDisposable
{
    /// <summary>The block cache of a mount that names no size: 64 blocks (256 KiB).</summary>
    public const int DefaultCacheBlocks = 64;

    /// <summary>The largest block cache a mount may ask for: 16384 blocks (64 MiB).</summary>
    public const int MaxCacheBlocks = 16384;

    private const int DirectRunBlocks = 32;

    private readonly ImageSource _source;
    private readonly ImageHeader _header;
    private readonly LeafTable _leaves;
    private readonly BlockCipher _cipher;
    private readonly byte[] _metadata;
    private readonly ImageNode[] _nodes;
    private readonly BlockCache _cache;
    private volatile bool _disposed;

    private ShieldedImage(ImageSource source, ImageHeader header, LeafTable leaves, BlockCipher cipher, byte[] metadata, ImageNode[] nodes, int fileCount, int cacheBlocks)
    {
        _cache = new BlockCache(cacheBlocks);
        MetadataBlockCount = metadata.Length / ImageLayout.BlockSize;
        _source = source;
        _header = header;
        _leaves = leaves;
        _cipher = cipher;
        _metadata = metadata;
        _nodes = nodes;
        FileCount = fileCount;
        DirectoryCount = nodes.Length - fileCount - 1;
    }

    /// <inheritdoc />
    public bool IsReadOnly => true;

    /// <summary>The image's 16-byte id.</summary>
    public ReadOnlyMemory<byte> ImageId => _header.ImageId;

    /// <summary>The verified image root (equal to the expected root given to the mount).</summary>
    public ReadOnlyMemory<byte> Root => _header.Root;

    /// <summary>Regular files in the image.</summary>
    public int FileCount { get; }

    /// <summary>Directories in the image, not counting the root.</summary>
    public int DirectoryCount { get; }

    /// <summary>
    /// The block cache for a function whose files may use <paramref name="tmpBytes"/> of enclave memory (the manifest's
    /// tmp size): as many blocks as that budget holds, from <see cref="DefaultCacheBlocks"/> to <see cref="MaxCacheBlocks"/>.
    /// </summary>
    public static int CacheBlocksFor(long tmpBytes) =>
        (int)Math.Clamp(tmpBytes / ImageLayout.BlockSize, DefaultCacheBlocks, MaxCacheBlocks);

    /// <summary>
    /// Opens the image file at <paramref name="path"/> and mounts it; the image owns the file handle and closes it
    /// on <see cref="Dispose"/>.
    /// </summary>
    /// <param name="path">The image file (on the untrusted host disk).</param>
    /// <param name="imageKey">The image key (32 bytes), from the trusted key manager. The image keeps only a key derived from it.</param>
    /// <param name="expectedRoot">The image root (32 bytes) from the function's measured manifest.</param>
    /// <param name="cacheBlocks">
    /// At most this many verified, decrypted blocks (4 KiB each, 0 to <see cref="MaxCacheBlocks"/>) are kept for later
    /// reads; the memory is taken as blocks are read and zeroed when a block is evicted and on <see cref="Dispose"/>.
    /// </param>
    /// <exception cref="ImageFormatException">The file is not an image of a supported version, is truncated, or has a malformed header.</exception>
    /// <exception cref="IntegrityViolationException">The image is not the one measured (wrong or rolled-back image), was modified, or the key is wrong.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ShieldedImage Mount(string path, ReadOnlySpan<byte> imageKey, ReadOnlySpan<byte> expectedRoot, int cacheBlocks = DefaultCacheBlocks)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckArguments(imageKey, expectedRoot, cacheBlocks);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Mount(new ImageSource(handle, ownsHandle: true), imageKey, expectedRoot, cacheBlocks);
    }

    /// <summary>
    /// Mounts the image in the open file <paramref name="handle"/>, which must stay open while the image is in use;
    /// the image does not close it. See <see cref="Mount(string, ReadOnlySpan{byte}, ReadOnlySpan{byte}, int)"/>.
    /// </summary>
    /// <exception cref="ImageFormatException">The file is not an image of a supported version, is truncated, or has a malformed header.</exception>
    /// <exception cref="IntegrityViolationException">The image is not the one measured (wrong or rolled-back image), was modified, or the key is wrong.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ShieldedImage Mount(SafeFileHandle handle, ReadOnlySpan<byte> imageKey, ReadOnlySpan<byte> expectedRoot, int cacheBlocks = DefaultCacheBlocks)
    {
        ArgumentNullException.ThrowIfNull(handle);
        CheckArguments(imageKey, expectedRoot, cacheBlocks);
        return Mount(new ImageSource(handle, ownsHandle: false), imageKey, expectedRoot, cacheBlocks);
    }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>Blocks holding the metadata (physical positions 0 .. count − 1).</summary>
    internal long MetadataBlockCount { get; }

    /// <summary>Zeroes and drops every cached block (after reading sealed code, which must not stay in memory).</summary>
    internal void ClearCache() => _cache.Clear();

    /// <summary>Where the blocks of the file at <paramref name="path"/> are (for tests and tools).</summary>
    internal bool TryGetLayout(string path, out uint fileId, out long firstSlot)
    {
        fileId = 0;
        firstSlot = 0;
        if (Resolve(path, out var index) != Errno.Success || _nodes[index].Kind != NodeKind.File)
        {
            return false;
        }

        fileId = _nodes[index].FileId;
        firstSlot = _nodes[index].FirstSlot;
        return true;
    }

    /// <inheritdoc />
    public Errno Stat(string path, out NodeInfo info)
    {
        info = default;
        var errno = Resolve(path, out var index);
        if (errno != Errno.Success)
        {
            return errno;
        }

        ref readonly var node = ref _nodes[index];
        info = new NodeInfo(node.Kind, node.Kind == NodeKind.File ? node.Size : 0, Inode(index), 0);
        return Errno.Success;
    }

    /// <inheritdoc />
    public Errno List(string path, out IReadOnlyList<DirectoryEntry> entries)
    {
        entries = [];
        var errno = Resolve(path, out var index);
        if (errno != Errno.Success)
        {
            return errno;
        }

        ref readonly var directory = ref _nodes[index];
        if (directory.Kind != NodeKind.Directory)
        {
            return Errno.NotDir;
        }

        var list = new DirectoryEntry[directory.ChildCount];
        for (var i = 0; i < list.Length; i++)
        {
            var child = directory.FirstChild + i;
            ref readonly var node = ref _nodes[child];
            list[i] = new DirectoryEntry(Encoding.UTF8.GetString(Name(node)), node.Kind, Inode(child));
        }

        entries = list;
        return Errno.Success;
    }

    /// <inheritdoc />
    public Errno Open(string path, OpenFlags flags, out IFileHandle? handle)
    {
        handle = null;
        var errno = Resolve(path, out var index);
        if (errno == Errno.NoEnt && (flags & OpenFlags.Create) != 0)
        {
            return Errno.RoFs;
        }

        if (errno != Errno.Success)
        {
            return errno;
        }

        if ((flags & (OpenFlags.Create | OpenFlags.Exclusive)) == (OpenFlags.Create | OpenFlags.Exclusive))
        {
            return Errno.Exist;
        }

        ref readonly var node = ref _nodes[index];
        if (node.Kind == NodeKind.Directory)
        {
            return Errno.IsDir;
        }

        if ((flags & (OpenFlags.Write | OpenFlags.Truncate)) != 0)
        {
            return Errno.RoFs;
        }

        handle = new ShieldedImageFile(this, index, node.Size);
        return Errno.Success;
    }

    /// <inheritdoc />
    public Errno CreateDirectory(string path) => Errno.RoFs;

    /// <inheritdoc />
    public Errno Unlink(string path) => Errno.RoFs;

    /// <inheritdoc />
    public Errno RemoveDirectory(string path) => Errno.RoFs;

    /// <inheritdoc />
    public Errno Rename(string from, string to) => Errno.RoFs;

    /// <inheritdoc />
    public Errno Link(string from, string to) => Errno.RoFs;

    /// <inheritdoc />
    public Errno Symlink(string target, string path) => Errno.RoFs;

    /// <inheritdoc />
    public Errno ReadLink(string path, out string target)
    {
        // An image holds only files and directories (the packer refuses symlinks).
        target = "";
        var errno = Resolve(path, out _);
        return errno == Errno.Success ? Errno.Inval : errno;
    }

    /// <inheritdoc />
    public Errno SetTimes(string path, ulong? accessedNanoseconds, ulong? modifiedNanoseconds) => Errno.RoFs;

    /// <summary>Zeroes the key, the decrypted metadata and the block cache, and closes the image file if the image opened it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _cipher.Dispose();
        _cache.Dispose();
        CryptographicOperations.ZeroMemory(_metadata);

        _source.Dispose();
    }

    /// <summary>
    /// Reads file node <paramref name="index"/> from <paramref name="offset"/> (≥ 0) into <paramref name="destination"/>;
    /// returns the count, 0 at or past the end. Blocks in the cache are copied from it; a run of blocks that are not
    /// goes from one positional read of their slots, verified and decrypted, straight into the destination, and then
    /// into the cache. Only verified plaintext is ever cached, so a cached block is as trustworthy as a fresh read.
    /// </summary>
    internal int ReadFile(int index, long offset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ref readonly var node = ref _nodes[index];
        if (offset >= node.Size || destination.IsEmpty)
        {
            return 0;
        }

        var want = (int)Math.Min(destination.Length, node.Size - offset);
        var done = 0;
        while (done < want)
        {
            var position = offset + done;
            var block = position >> ImageLayout.BlockSizeLog2;
            var within = (int)(position & (ImageLayout.BlockSize - 1));
            var left = want - done;
            if (within == 0 && left >= ImageLayout.BlockSize)
            {
                if (_cache.TryCopy(node.FirstSlot + block, 0, destination.Slice(done, ImageLayout.BlockSize)))
                {
                    done += ImageLayout.BlockSize;
                    continue;
                }

                var run = _cache.MissingRun(node.FirstSlot + block, Math.Min(left >> ImageLayout.BlockSizeLog2, DirectRunBlocks));
                ReadWholeBlocks(node, block, run, destination.Slice(done, run * ImageLayout.BlockSize));
                done += run * ImageLayout.BlockSize;
            }
            else
            {
                var count = Math.Min(ImageLayout.BlockSize - within, left);
                ReadPartialBlock(node, block, within, destination.Slice(done, count));
                done += count;
            }
        }

        return want;
    }

    private static ShieldedImage Mount(ImageSource source, ReadOnlySpan<byte> imageKey, ReadOnlySpan<byte> expectedRoot, int cacheBlocks)
    {
        BlockCipher? cipher = null;
        byte[]? metadata = null;
        try
        {
            Span<byte> headerBytes = stackalloc byte[ImageLayout.HeaderLength];
            var got = 0;
            while (got < headerBytes.Length)
            {
                var read = RandomAccess.Read(source.Handle, headerBytes[got..], got);
                if (read <= 0)
                {
                    break;
                }

                got += read;
            }

            var header = ImageHeader.Parse(headerBytes[..got]);
            ImageHeader.CheckLength(header, RandomAccess.GetLength(source.Handle));
            if (!CryptographicOperations.FixedTimeEquals(header.Root.Span, expectedRoot))
            {
                throw RootMismatch();
            }

            var leaves = LeafTable.Read(source, header.BlockCount);
            cipher = BlockCipher.Create(imageKey, header.ImageId.Span, header.Salt.Span);
            metadata = ReadMetadata(source, header.BlockCount, leaves, cipher);
            var metadataBlocks = metadata.Length / ImageLayout.BlockSize;
            var nodes = ImageMetadataReader.Decode(metadata, metadataBlocks, header.BlockCount, out var fileCount);
            CheckRoot(header, leaves, nodes, metadataBlocks, expectedRoot);
            return new ShieldedImage(source, header, leaves, cipher, metadata, nodes, fileCount, cacheBlocks);
        }
        catch
        {
            cipher?.Dispose();
            if (metadata is not null)
            {
                CryptographicOperations.ZeroMemory(metadata);
            }

            source.Dispose();
            throw;
        }
    }

    /// <summary>Reads, verifies and decrypts the metadata blocks (file id 0); they are the first blocks of the image.</summary>
    private static byte[] ReadMetadata(ImageSource source, long blockCount, LeafTable leaves, BlockCipher cipher)
    {
        var slot = new byte[ImageLayout.SlotSize];
        var first = new byte[ImageLayout.BlockSize];
        try
        {
            DecryptSlot(source, blockCount, leaves, cipher, 0, slot, first);
            var blocks = ImageLayout.BlocksFor(ImageMetadataReader.ReadLength(first, blockCount));
            var metadata = new byte[blocks * ImageLayout.BlockSize];
            first.CopyTo(metadata, 0);
            for (var block = 1; block < blocks; block++)
            {
                DecryptSlot(source, blockCount, leaves, cipher, block, slot, metadata.AsSpan(block * ImageLayout.BlockSize, ImageLayout.BlockSize));
            }

            return metadata;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(first);
        }
    }

    private static void DecryptSlot(ImageSource source, long blockCount, LeafTable leaves, BlockCipher cipher, long block, byte[] slot, Span<byte> plaintext)
    {
        source.ReadExactly(ImageLayout.SlotOffset(blockCount, block), slot, "the metadata");
        var tag = slot.AsSpan(ImageLayout.BlockSize);
        if (!leaves.Matches(block, tag) || !cipher.TryDecrypt(ImageLayout.MetadataFileId, (ulong)block, slot, tag, plaintext))
        {
            throw BlockFailed(ImageLayout.MetadataFileId, block);
        }
    }

    /// <summary>Recomputes the image root over every block's stored tag, in physical order, and compares it with the measured root.</summary>
    private static void CheckRoot(ImageHeader header, LeafTable leaves, ImageNode[] nodes, long metadataBlocks, ReadOnlySpan<byte> expectedRoot)
    {
        var merkle = new MerkleRootBuilder();
        for (var block = 0L; block < metadataBlocks; block++)
        {
            merkle.Add(ImageLayout.MetadataFileId, (ulong)block, leaves[block]);
        }

        foreach (ref readonly var node in nodes.AsSpan())
        {
            if (node.Kind != NodeKind.File)
            {
                continue;
            }

            var blocks = ImageLayout.BlocksFor(node.Size);
            for (var block = 0L; block < blocks; block++)
            {
                merkle.Add(node.FileId, (ulong)block, leaves[node.FirstSlot + block]);
            }
        }

        if (merkle.Count != header.BlockCount)
        {
            throw new IntegrityViolationException("image metadata is inconsistent: the files do not use exactly the image's blocks");
        }

        Span<byte> top = stackalloc byte[MerkleTree.HashSize];
        Span<byte> root = stackalloc byte[ImageLayout.RootSize];
        merkle.Top(top);
        MerkleTree.ImageRoot(header.ImageId.Span, header.Salt.Span, header.BlockCount, top, root);
        if (!CryptographicOperations.FixedTimeEquals(root, expectedRoot))
        {
            throw RootMismatch();
        }
    }

    private static void CheckArguments(ReadOnlySpan<byte> imageKey, ReadOnlySpan<byte> expectedRoot, int cacheBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cacheBlocks);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cacheBlocks, MaxCacheBlocks);
        if (imageKey.Length != ImageLayout.KeySize)
        {
            throw new ArgumentException($"an image key is {ImageLayout.KeySize} bytes, not {imageKey.Length}", nameof(imageKey));
        }

        if (expectedRoot.Length != ImageLayout.RootSize)
        {
            throw new ArgumentException($"an image root is {ImageLayout.RootSize} bytes, not {expectedRoot.Length}", nameof(expectedRoot));
        }
    }

    private static IntegrityViolationException RootMismatch() =>
        new("image root does not match the measured root: wrong or rolled-back image");

    private static IntegrityViolationException BlockFailed(uint fileId, long block) =>
        new(fileId == ImageLayout.MetadataFileId
            ? string.Create(CultureInfo.InvariantCulture, $"image metadata block {block} failed verification: the image was modified or the key is wrong")
            : string.Create(CultureInfo.InvariantCulture, $"image block {block} of file {fileId} failed verification: it was modified, moved or replaced"));

    private static ulong Inode(int index) => (ulong)index + 1;

    private ReadOnlySpan<byte> Name(in ImageNode node) => _metadata.AsSpan(node.NameOffset, node.NameLength);

    /// <summary>
    /// Decrypts <paramref name="count"/> whole blocks from <paramref name="block"/>, with one read of their slots, into a
    /// private buffer; only when all of them verified are they copied to <paramref name="destination"/> and into the
    /// cache (from the private buffer, never from the destination, which the guest owns).
    /// </summary>
    private void ReadWholeBlocks(in ImageNode node, long block, int count, Span<byte> destination)
    {
        var slots = ArrayPool<byte>.Shared.Rent(count * ImageLayout.SlotSize);
        var plain = ArrayPool<byte>.Shared.Rent(count * ImageLayout.BlockSize);
        var aes = _cipher.Rent();
        try
        {
            var first = node.FirstSlot + block;
            var length = count * ImageLayout.SlotSize;
            _source.ReadExactly(ImageLayout.SlotOffset(_header.BlockCount, first), slots.AsSpan(0, length), "a data block");
            // Only the blocks whose tags are the verified leaf-table entries of their positions are decrypted.
            var matching = _leaves.MatchingRun(first, slots.AsSpan(0, length), count);
            var plaintext = plain.AsSpan(0, count * ImageLayout.BlockSize);
            var failed = _cipher.TryDecryptRun(aes, node.FileId, (ulong)block, slots.AsSpan(0, length), matching, plaintext);
            if (failed >= 0 || matching < count)
            {
                throw BlockFailed(node.FileId, block + (failed >= 0 ? failed : matching));
            }

            plaintext.CopyTo(destination);
            for (var i = 0; i < count; i++)
            {
                _cache.Add(first + i, plaintext.Slice(i * ImageLayout.BlockSize, ImageLayout.BlockSize));
            }
        }
        finally
        {
            _cipher.Return(aes);
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, count * ImageLayout.BlockSize));
            ArrayPool<byte>.Shared.Return(plain);

            // Slots hold only ciphertext, which is public.
            ArrayPool<byte>.Shared.Return(slots);
        }
    }

    /// <summary>Copies part of one block, through the cache.</summary>
    private void ReadPartialBlock(in ImageNode node, long block, int within, Span<byte> destination)
    {
        var position = node.FirstSlot + block;
        if (_cache.TryCopy(position, within, destination))
        {
            return;
        }

        var slot = ArrayPool<byte>.Shared.Rent(ImageLayout.SlotSize);
        Span<byte> plaintext = stackalloc byte[ImageLayout.BlockSize];
        try
        {
            _source.ReadExactly(ImageLayout.SlotOffset(_header.BlockCount, position), slot.AsSpan(0, ImageLayout.SlotSize), "a data block");
            var tag = slot.AsSpan(ImageLayout.BlockSize, ImageLayout.TagSize);
            if (!_leaves.Matches(position, tag) || !_cipher.TryDecrypt(node.FileId, (ulong)block, slot, tag, plaintext))
            {
                throw BlockFailed(node.FileId, block);
            }

            plaintext.Slice(within, destination.Length).CopyTo(destination);
            _cache.Add(position, plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            ArrayPool<byte>.Shared.Return(slot);
        }
    }

    /// <summary>Finds the node a normalised path names.</summary>
    private Errno Resolve(string path, out int index)
    {
        ArgumentNullException.ThrowIfNull(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        index = 0;
        var rest = path.AsSpan();
        if (rest.IsEmpty)
        {
            return Errno.Success;
        }

        Span<byte> name = stackalloc byte[ImageLayout.MaxNameBytes];
        while (true)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            ref readonly var directory = ref _nodes[index];
            if (directory.Kind != NodeKind.Directory)
            {
                return Errno.NotDir;
            }

            var status = Utf8.FromUtf16(segment, name, out _, out var length, replaceInvalidSequences: false);
            if (status == OperationStatus.DestinationTooSmall)
            {
                return Errno.NameTooLong;
            }

            if (status != OperationStatus.Done)
            {
                return Errno.NoEnt;
            }

            index = FindChild(directory, name[..length]);
            if (index < 0)
            {
                return Errno.NoEnt;
            }

            if (slash < 0)
            {
                return Errno.Success;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>Binary search among a directory's children, which are sorted by UTF-8 name; -1 if absent.</summary>
    private int FindChild(in ImageNode directory, ReadOnlySpan<byte> name)
    {
        var low = directory.FirstChild;
        var high = directory.FirstChild + directory.ChildCount - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = NameOrder.Compare(Name(_nodes[middle]), name);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }
}
