using System.Runtime.InteropServices;

namespace Carapace.Enclave.Host;

/// <summary>
/// Ends the enclave process within moments of its worker's death, whatever the enclave is doing. The main thread
/// notices a closed pipe only when it next reads, and a function can keep it busy until its own timeout; so a
/// background thread waits for the worker process itself to exit, wipes what it can and ends the process at once,
/// without waiting for the busy thread.
/// </summary>
/// <remarks>
/// The wait is a pidfd of the worker (<c>pidfd_open</c>, Linux 5.3+), which becomes readable when the process exits,
/// checked once a second against <c>getppid()</c> as well (an orphan is re-parented to init or a subreaper); where
/// pidfds are unavailable, <c>kill(worker, 0)</c> is polled every 250 ms. <c>prctl(PR_SET_PDEATHSIG)</c> is not used:
/// its "parent" is the thread that forked, and a .NET worker starts processes from whichever (thread-pool) thread it
/// is on, which may retire while the worker lives on — the enclave would then be killed for nothing.
/// </remarks>
internal static class ParentWatch
{
    /// <summary>The exit code of an enclave whose worker died (nobody is left to read it; it shows in audits of the host).</summary>
    public const int OrphanedExitCode = 3;

    private const long SysPidfdOpen = 434; // the same number on every Linux architecture (asm-generic table)
    private const short PollIn = 0x1;
    private const int NotPermitted = 1; // EPERM
    private const int NoSuchProcess = 3; // ESRCH
    private const int Interrupted = 4; // EINTR
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Starts watching process <paramref name="parent"/>; when it is gone, runs <paramref name="wipe"/> (whose
    /// exceptions are ignored) and ends the process with <see cref="OrphanedExitCode"/>. When the parent is already
    /// gone, that happens at once.
    /// </summary>
    public static void Start(int parent, Action wipe)
    {
        ArgumentNullException.ThrowIfNull(wipe);
        var thread = new Thread(() => Watch(parent, wipe)) { IsBackground = true, Name = "carapace-enclave-parent-watch" };
        thread.Start();
    }

    /// <summary>This process's parent's id (the worker that started it, while that lives).</summary>
    public static int ParentId => GetParentId();

    private static void Watch(int parent, Action wipe)
    {
        WaitUntilGone(parent);
        Orphaned(parent, wipe);
    }

    /// <summary>Returns once process <paramref name="parent"/> has exited (or, if it is our parent, stopped being it).</summary>
    private static void WaitUntilGone(int parent)
    {
        var pidfd = PidfdOpen(parent);
        if (pidfd < 0)
        {
            if (Marshal.GetLastPInvokeError() == NoSuchProcess)
            {
                return;
            }

            // No pidfds here (old kernel, or filtered): ask whether it still exists, four times a second.
            while (IsAlive(parent))
            {
                Thread.Sleep(PollInterval);
            }

            return;
        }

        // Opened while the parent still lived (it is still our parent), the pidfd is that process, not a reused id. When
        // the worker is not the direct parent (started through a wrapper), the pidfd alone tells.
        var direct = GetParentId() == parent;
        var fds = new[] { new PollFd { Fd = pidfd, Events = PollIn } };
        while (true)
        {
            fds[0].Revents = 0;
            var ready = Poll(fds, 1, (int)CheckInterval.TotalMilliseconds);
            if (ready > 0 || (direct && GetParentId() != parent))
            {
                return;
            }

            if (ready < 0 && Marshal.GetLastPInvokeError() != Interrupted)
            {
                while (IsAlive(parent))
                {
                    Thread.Sleep(PollInterval);
                }

                return;
            }
        }
    }

    /// <summary>Whether process <paramref name="pid"/> exists (<c>kill(pid, 0)</c>: no signal is sent).</summary>
    private static bool IsAlive(int pid) => Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == NotPermitted;

    private static void Orphaned(int parent, Action wipe)
    {
        try
        {
            wipe();
        }
        catch (Exception)
        {
            // Best effort: the process ends right after, and with it everything it held.
        }

        try
        {
            Console.Error.WriteLine($"carapace-enclave: the worker (process {parent}) is gone; exiting");
        }
        catch (IOException)
        {
            // The worker read our stderr; with it gone the pipe may be broken.
        }

        // Now, without running exit handlers or waiting for the thread that runs the function.
        ExitNow(OrphanedExitCode);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private static int PidfdOpen(int pid) => (int)Syscall(SysPidfdOpen, pid, 0);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long Syscall(long number, int pid, uint flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Poll([In, Out] PollFd[] fds, nuint count, int timeoutMilliseconds);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "getppid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetParentId();

    [DllImport("libc", EntryPoint = "_exit")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void ExitNow(int status);
}
