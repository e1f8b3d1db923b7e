using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Carapace.Tests.FakeTee;

/// <summary>
/// A stand-in for Linux configfs-tsm (<c>/sys/kernel/config/tsm/report</c>) in a temporary directory, served by this
/// test process to any process pointed at <see cref="Root"/> (enclaves and the KMS started with <c>--tee tdx|snp</c>),
/// through the production issuer's own file operations. Like the kernel it lays down an entry's attributes when the
/// entry directory is made (<c>generation</c>, <c>inblob</c>, <c>outblob</c>, for <c>sev_guest</c> also
/// <c>auxblob</c>; <c>provider</c> last), and reading <c>outblob</c> after writing <c>inblob</c> blocks until the report
/// is made: <c>outblob</c> is a FIFO the provider writes the report into once it sees <c>inblob</c> written, after
/// bumping <c>generation</c>. Unlike the kernel, attributes appear a moment after the <c>mkdir</c> (the issuer waits
/// for <c>provider</c>), and the directory is removed by the provider some seconds after use (a plain directory
/// with files cannot be <c>rmdir</c>'ed).
/// </summary>
internal sealed class FakeTsmTree : IDisposable
{
    private static readonly TimeSpan ServedLifetime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);
    private readonly string _base;
    private readonly ConcurrentDictionary<string, EntryState> _entries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly FileSystemWatcher _watcher;
    private readonly Thread _sweeper;
    private int _served;

    /// <summary>Serves <paramref name="provider"/> (<c>tdx_guest</c> or <c>sev_guest</c>) with <paramref name="answer"/>: report data → outblob and auxblob.</summary>
    public FakeTsmTree(string provider, Func<byte[], (byte[] OutBlob, byte[]? AuxBlob)> answer)
    {
        Provider = provider;
        Answer = answer;
        _base = Path.Combine(Path.GetTempPath(), "carapace-faketsm-" + Guid.NewGuid().ToString("N")[..12]);
        Root = Path.Combine(_base, "report");
        Directory.CreateDirectory(Root);
        _watcher = new FileSystemWatcher(Root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.DirectoryName | NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, e) => Poke(e.FullPath);
        _watcher.Changed += (_, e) => Poke(e.FullPath);
        _watcher.EnableRaisingEvents = true;
        _sweeper = new Thread(Sweep) { IsBackground = true, Name = "fake configfs-tsm" };
        _sweeper.Start();
    }

    /// <summary>A tree serving TDX quotes of <paramref name="platform"/>.</summary>
    public static FakeTsmTree Tdx(FakeTdxPlatform platform) => new("tdx_guest", reportData => (platform.Quote(reportData), null));

    /// <summary>A tree serving SEV-SNP reports of <paramref name="platform"/>, each with its certificate table.</summary>
    public static FakeTsmTree Snp(FakeSnpPlatform platform) => new("sev_guest", reportData =>
    {
        var (report, table) = platform.Report(reportData);
        return (report, table);
    });

    /// <summary>The report directory to point an issuer at (<c>--tsm-path</c>, <c>tsmPath</c>).</summary>
    public string Root { get; }

    public string Provider { get; }

    /// <summary>Makes the report for the written report data; may be replaced between requests.</summary>
    public Func<byte[], (byte[] OutBlob, byte[]? AuxBlob)> Answer { get; set; }

    /// <summary>How many reports were served.</summary>
    public int Served => Volatile.Read(ref _served);

    public void Dispose()
    {
        _stop.Cancel();
        _watcher.Dispose();
        _sweeper.Join(TimeSpan.FromSeconds(5));
        foreach (var entry in _entries.Values)
        {
            entry.Abandon();
        }

        try
        {
            Directory.Delete(_base, recursive: true);
        }
        catch (IOException)
        {
            // A process still holding an entry open: the temporary folder is left for the system to clean.
        }

        _stop.Dispose();
    }

    private void Poke(string path)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        var relative = Path.GetRelativePath(Root, path);
        var name = relative.Split(Path.DirectorySeparatorChar)[0];
        if (name.StartsWith('.') || relative.StartsWith("..", StringComparison.Ordinal))
        {
            return;
        }

        var entryPath = Path.Combine(Root, name);
        var state = _entries.GetOrAdd(entryPath, p => new EntryState(p));
        try
        {
            if (state.TryPopulate(Provider))
            {
                return;
            }

            if (relative.EndsWith(Path.DirectorySeparatorChar + "inblob", StringComparison.Ordinal))
            {
                TryServe(state);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The requester removed the entry meanwhile.
        }
    }

    private void TryServe(EntryState state)
    {
        if (!state.TryClaimWritten())
        {
            return;
        }

        var thread = new Thread(() =>
        {
            try
            {
                if (state.Serve(Answer))
                {
                    Interlocked.Increment(ref _served);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The requester went away; nothing to answer.
            }
        })
        { IsBackground = true, Name = "fake configfs-tsm report" };
        thread.Start();
    }

    /// <summary>Catches up with missed events and removes entries once they are done with.</summary>
    private void Sweep()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                foreach (var directory in Directory.EnumerateDirectories(Root))
                {
                    if (!Path.GetFileName(directory).StartsWith('.'))
                    {
                        Poke(Path.Combine(directory, "inblob"));
                    }
                }
            }
            catch (IOException)
            {
                // An entry vanished while listing: the next round sees the rest.
            }

            foreach (var (path, state) in _entries)
            {
                if (state.Expired(ServedLifetime, IdleLifetime))
                {
                    state.Abandon();
                    try
                    {
                        if (Directory.Exists(path))
                        {
                            Directory.Delete(path, recursive: true);
                        }
                    }
                    catch (IOException)
                    {
                        continue;
                    }

                    _entries.TryRemove(path, out _);
                }
            }

            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(20));
        }
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MakeFifo(string path, uint mode);

    private sealed class EntryState(string path)
    {
        private readonly Lock _lock = new();
        private readonly DateTimeOffset _created = DateTimeOffset.UtcNow;
        private bool _populated;
        private bool _claimed;
        private bool _abandoned;
        private DateTimeOffset? _served;

        /// <summary>Lays down the attributes the first time; true when this call did it.</summary>
        public bool TryPopulate(string provider)
        {
            lock (_lock)
            {
                if (_populated || _abandoned || !Directory.Exists(path))
                {
                    return false;
                }

                _populated = true;
            }

            File.WriteAllText(Path.Combine(path, "generation"), "0\n");
            File.WriteAllBytes(Path.Combine(path, "inblob"), []);
            if (MakeFifo(Path.Combine(path, "outblob"), Convert.ToUInt32("600", 8)) != 0)
            {
                throw new IOException($"mkfifo failed with errno {Marshal.GetLastPInvokeError()}");
            }

            if (provider == "sev_guest")
            {
                File.WriteAllBytes(Path.Combine(path, "auxblob"), []);
            }

            var temporary = Path.Combine(path, ".provider");
            File.WriteAllText(temporary, provider + "\n");
            File.Move(temporary, Path.Combine(path, "provider"));
            return true;
        }

        public bool TryClaimWritten()
        {
            lock (_lock)
            {
                if (!_populated || _claimed || _abandoned)
                {
                    return false;
                }

                var inblob = new FileInfo(Path.Combine(path, "inblob"));
                if (!inblob.Exists || inblob.Length == 0)
                {
                    return false;
                }

                _claimed = true;
                return true;
            }
        }

        /// <summary>Writes auxblob and generation, then the report into the outblob FIFO (blocking until the requester reads).</summary>
        public bool Serve(Func<byte[], (byte[] OutBlob, byte[]? AuxBlob)> answer)
        {
            var inblob = File.ReadAllBytes(Path.Combine(path, "inblob"));
            var (outblob, auxblob) = answer(inblob);
            if (auxblob is not null && File.Exists(Path.Combine(path, "auxblob")))
            {
                File.WriteAllBytes(Path.Combine(path, "auxblob"), auxblob);
            }

            File.WriteAllText(Path.Combine(path, "generation"), 1.ToString(CultureInfo.InvariantCulture) + "\n");
            using (var fifo = new FileStream(Path.Combine(path, "outblob"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
            {
                if (Volatile.Read(ref _abandoned))
                {
                    return false;
                }

                fifo.Write(outblob);
            }

            lock (_lock)
            {
                _served = DateTimeOffset.UtcNow;
            }

            return true;
        }

        public bool Expired(TimeSpan served, TimeSpan idle)
        {
            lock (_lock)
            {
                var now = DateTimeOffset.UtcNow;
                return _served is { } at ? now - at > served : now - _created > idle;
            }
        }

        /// <summary>Unblocks a provider thread still waiting for a reader of outblob, which then writes nothing.</summary>
        public void Abandon()
        {
            bool waiting;
            lock (_lock)
            {
                _abandoned = true;
                waiting = _claimed && _served is null;
            }

            if (waiting)
            {
                try
                {
                    using var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(
                        OpenNonBlocking(Path.Combine(path, "outblob")), ownsHandle: true), FileAccess.Read, bufferSize: 0);
                }
                catch (IOException)
                {
                    // Already gone.
                }
            }
        }

        private static IntPtr OpenNonBlocking(string fifo)
        {
            const int ReadOnlyNonBlocking = 0x800; // O_RDONLY | O_NONBLOCK
            var fd = Open(fifo, ReadOnlyNonBlocking);
            return fd >= 0 ? fd : throw new IOException($"cannot open {fifo} (errno {Marshal.GetLastPInvokeError()})");
        }

        [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int Open(string path, int flags);
    }
}
