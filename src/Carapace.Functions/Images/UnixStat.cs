using System.Runtime.InteropServices;

namespace Carapace.Functions.Images;

/// <summary>
/// The file type of a path without following symbolic links. .NET reports FIFOs, sockets and devices as ordinary
/// files, and opening a FIFO blocks, so the packer asks the kernel with <c>statx(2)</c> (whose result layout is the
/// same on every Linux architecture).
/// </summary>
internal static class UnixStat
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxBufferSize = 256;

    /// <summary>The type (and, for regular files, the size) of <paramref name="path"/>, not following a final symbolic link.</summary>
    /// <exception cref="IOException">The path cannot be examined.</exception>
    public static UnixNodeType Lstat(string path, out long size)
    {
        var buffer = new byte[StatxBufferSize];
        int result;
        try
        {
            result = Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxSize, buffer);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            throw new IOException("cannot examine file types on this system: statx(2) is not available", e);
        }

        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        }

        // struct statx is in native byte order.
        var mask = MemoryMarshal.Read<uint>(buffer);
        var mode = MemoryMarshal.Read<ushort>(buffer.AsSpan(28));
        var rawSize = MemoryMarshal.Read<ulong>(buffer.AsSpan(40));
        size = (mask & StatxSize) != 0 ? (long)Math.Min(rawSize, long.MaxValue) : -1;
        if ((mask & StatxType) == 0)
        {
            return UnixNodeType.Unknown;
        }

        return (mode & 0xF000) switch
        {
            0x8000 => UnixNodeType.Regular,
            0x4000 => UnixNodeType.Directory,
            0xA000 => UnixNodeType.SymbolicLink,
            0x1000 => UnixNodeType.Fifo,
            0x2000 => UnixNodeType.CharacterDevice,
            0x6000 => UnixNodeType.BlockDevice,
            0xC000 => UnixNodeType.Socket,
            _ => UnixNodeType.Unknown,
        };
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
