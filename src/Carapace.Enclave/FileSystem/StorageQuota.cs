using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem;

/// <summary>
/// One invocation's budget of in-enclave file bytes, shared by every writable tree it has: <c>/tmp</c> and the
/// overlay of its image draw on the same limit (the manifest's <c>tmp</c> size), so writing into the image costs what
/// writing into <c>/tmp</c> costs. A write that would pass it fails with <see cref="Errno.NoSpc"/>.
/// </summary>
public sealed class StorageQuota
{
    private readonly Lock _gate = new();
    private long _used;

    /// <summary>Creates a budget of <paramref name="maxBytes"/> (0 allows only empty files).</summary>
    public StorageQuota(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        MaxBytes = maxBytes;
    }

    /// <summary>The limit.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes taken now.</summary>
    public long UsedBytes
    {
        get
        {
            lock (_gate)
            {
                return _used;
            }
        }
    }

    /// <summary>Bytes still free.</summary>
    public long AvailableBytes
    {
        get
        {
            lock (_gate)
            {
                return MaxBytes - _used;
            }
        }
    }

    /// <summary>Takes <paramref name="bytes"/> if they are free; false (and nothing taken) if not.</summary>
    public bool TryTake(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            if (bytes > MaxBytes - _used)
            {
                return false;
            }

            _used += bytes;
            return true;
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> taken before.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            _used = Math.Max(0, _used - bytes);
        }
    }
}
