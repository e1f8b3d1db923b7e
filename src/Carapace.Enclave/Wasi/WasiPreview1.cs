using Carapace.Functions.Modules;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

/// <summary>
/// Carapace's own WASI preview 1: defines every <c>wasi_snapshot_preview1</c> import on a <see cref="Linker"/>, backed
/// by the <see cref="WasiContext"/> of the calling store — the store's data must be a <see cref="WasiContext"/> or an
/// <see cref="IWasiHost"/> (anything else traps). Nothing reaches the host's files, sockets, environment or clocks.
/// </summary>
/// <remarks>
/// Every guest pointer and length is checked (<see cref="Errno.Fault"/> when outside the memory). The only exception a
/// function lets escape into Wasmtime on purpose is <see cref="WasiExitException"/> from <c>proc_exit</c>; a misused
/// context (wrong store data, disposed) traps with an <see cref="InvalidOperationException"/> or
/// <see cref="ObjectDisposedException"/>. Calls that cannot exist for a function: <c>sock_*</c> return
/// <see cref="Errno.BadF"/> for a descriptor that is not open and <see cref="Errno.NotSock"/> for any other (no socket
/// is ever handed out); <c>proc_raise</c> returns <see cref="Errno.NoSys"/>. Links, symlinks and file times work on
/// writable file systems (<c>/tmp</c>, an image's overlay) and return <see cref="Errno.RoFs"/> on read-only ones.
/// </remarks>
public static class WasiPreview1
{
    /// <summary>The import module name.</summary>
    public const string ModuleName = WasiAbi.Module;

    /// <summary>
    /// The names of all functions <see cref="Define"/> defines (the whole of <c>wasi_snapshot_preview1</c>): exactly
    /// <see cref="ProvidedImports.FunctionNames"/>, the list modules are validated against, with the signatures it gives.
    /// </summary>
    public static IReadOnlyList<string> FunctionNames => ProvidedImports.FunctionNames;

    /// <summary>Defines all <c>wasi_snapshot_preview1</c> functions on <paramref name="linker"/>.</summary>
    public static void Define(Linker linker)
    {
        ArgumentNullException.ThrowIfNull(linker);
        const string M = WasiAbi.Module;

        linker.DefineFunction(M, "args_get", static (Caller c, int argv, int buf) => (int)Ctx(c).ArgsGet(c, argv, buf));
        linker.DefineFunction(M, "args_sizes_get", static (Caller c, int argc, int size) => (int)Ctx(c).ArgsSizesGet(c, argc, size));
        linker.DefineFunction(M, "environ_get", static (Caller c, int env, int buf) => (int)Ctx(c).EnvironGet(c, env, buf));
        linker.DefineFunction(M, "environ_sizes_get", static (Caller c, int count, int size) => (int)Ctx(c).EnvironSizesGet(c, count, size));

        linker.DefineFunction(M, "clock_res_get", static (Caller c, int id, int result) => (int)Ctx(c).ClockResGet(c, id, result));
        linker.DefineFunction(M, "clock_time_get", static (Caller c, int id, long precision, int result) => (int)Ctx(c).ClockTimeGet(c, id, result));

        linker.DefineFunction(M, "fd_advise", static (Caller c, int fd, long offset, long length, int advice) => (int)Ctx(c).FdAdvise(fd, advice));
        linker.DefineFunction(M, "fd_allocate", static (Caller c, int fd, long offset, long length) => (int)Ctx(c).FdAllocate(fd, offset, length));
        linker.DefineFunction(M, "fd_close", static (Caller c, int fd) => (int)Ctx(c).FdClose(fd));
        linker.DefineFunction(M, "fd_datasync", static (Caller c, int fd) => (int)Ctx(c).FdSync(fd));
        linker.DefineFunction(M, "fd_fdstat_get", static (Caller c, int fd, int result) => (int)Ctx(c).FdFdstatGet(c, fd, result));
        linker.DefineFunction(M, "fd_fdstat_set_flags", static (Caller c, int fd, int flags) => (int)Ctx(c).FdFdstatSetFlags(fd, flags));
        linker.DefineFunction(M, "fd_fdstat_set_rights", static (Caller c, int fd, long rightsBase, long rightsInheriting) => (int)Ctx(c).FdFdstatSetRights(fd, rightsBase, rightsInheriting));
        linker.DefineFunction(M, "fd_filestat_get", static (Caller c, int fd, int result) => (int)Ctx(c).FdFilestatGet(c, fd, result));
        linker.DefineFunction(M, "fd_filestat_set_size", static (Caller c, int fd, long size) => (int)Ctx(c).FdFilestatSetSize(fd, size));
        linker.DefineFunction(M, "fd_filestat_set_times", static (Caller c, int fd, long atim, long mtim, int flags) => (int)Ctx(c).FdFilestatSetTimes(fd, atim, mtim, flags));
        linker.DefineFunction(M, "fd_pread", static (Caller c, int fd, int iovs, int iovsLength, long offset, int result) => (int)Ctx(c).FdPread(c, fd, iovs, iovsLength, offset, result));
        linker.DefineFunction(M, "fd_prestat_get", static (Caller c, int fd, int result) => (int)Ctx(c).FdPrestatGet(c, fd, result));
        linker.DefineFunction(M, "fd_prestat_dir_name", static (Caller c, int fd, int path, int pathLength) => (int)Ctx(c).FdPrestatDirName(c, fd, path, pathLength));
        linker.DefineFunction(M, "fd_pwrite", static (Caller c, int fd, int iovs, int iovsLength, long offset, int result) => (int)Ctx(c).FdPwrite(c, fd, iovs, iovsLength, offset, result));
        linker.DefineFunction(M, "fd_read", static (Caller c, int fd, int iovs, int iovsLength, int result) => (int)Ctx(c).FdRead(c, fd, iovs, iovsLength, result));
        linker.DefineFunction(M, "fd_readdir", static (Caller c, int fd, int buf, int bufLength, long cookie, int result) => (int)Ctx(c).FdReaddir(c, fd, buf, bufLength, cookie, result));
        linker.DefineFunction(M, "fd_renumber", static (Caller c, int from, int to) => (int)Ctx(c).FdRenumber(from, to));
        linker.DefineFunction(M, "fd_seek", static (Caller c, int fd, long offset, int whence, int result) => (int)Ctx(c).FdSeek(c, fd, offset, whence, result));
        linker.DefineFunction(M, "fd_sync", static (Caller c, int fd) => (int)Ctx(c).FdSync(fd));
        linker.DefineFunction(M, "fd_tell", static (Caller c, int fd, int result) => (int)Ctx(c).FdTell(c, fd, result));
        linker.DefineFunction(M, "fd_write", static (Caller c, int fd, int iovs, int iovsLength, int result) => (int)Ctx(c).FdWrite(c, fd, iovs, iovsLength, result));

        linker.DefineFunction(M, "path_create_directory", static (Caller c, int fd, int path, int pathLength) => (int)Ctx(c).PathCreateDirectory(c, fd, path, pathLength));
        linker.DefineFunction(M, "path_filestat_get", static (Caller c, int fd, int flags, int path, int pathLength, int result) => (int)Ctx(c).PathFilestatGet(c, fd, flags, path, pathLength, result));
        linker.DefineFunction(M, "path_filestat_set_times", static (Caller c, int fd, int flags, int path, int pathLength, long atim, long mtim, int fstFlags) => (int)Ctx(c).PathFilestatSetTimes(c, fd, flags, path, pathLength, atim, mtim, fstFlags));
        linker.DefineFunction(M, "path_link", static (Caller c, int fromFd, int fromFlags, int fromPath, int fromLength, int toFd, int toPath, int toLength) => (int)Ctx(c).PathLink(c, fromFd, fromFlags, fromPath, fromLength, toFd, toPath, toLength));
        linker.DefineFunction(M, "path_open", static (Caller c, int fd, int dirFlags, int path, int pathLength, int openFlags, long rightsBase, long rightsInheriting, int fdFlags, int result) => (int)Ctx(c).PathOpen(c, fd, dirFlags, path, pathLength, openFlags, rightsBase, fdFlags, result));
        linker.DefineFunction(M, "path_readlink", static (Caller c, int fd, int path, int pathLength, int buf, int bufLength, int result) => (int)Ctx(c).PathReadlink(c, fd, path, pathLength, buf, bufLength, result));
        linker.DefineFunction(M, "path_remove_directory", static (Caller c, int fd, int path, int pathLength) => (int)Ctx(c).PathRemoveDirectory(c, fd, path, pathLength));
        linker.DefineFunction(M, "path_rename", static (Caller c, int fromFd, int fromPath, int fromLength, int toFd, int toPath, int toLength) => (int)Ctx(c).PathRename(c, fromFd, fromPath, fromLength, toFd, toPath, toLength));
        linker.DefineFunction(M, "path_symlink", static (Caller c, int fromPath, int fromLength, int fd, int toPath, int toLength) => (int)Ctx(c).PathSymlink(c, fromPath, fromLength, fd, toPath, toLength));
        linker.DefineFunction(M, "path_unlink_file", static (Caller c, int fd, int path, int pathLength) => (int)Ctx(c).PathUnlinkFile(c, fd, path, pathLength));

        linker.DefineFunction(M, "poll_oneoff", static (Caller c, int subscriptions, int events, int count, int result) => (int)Ctx(c).PollOneoff(c, subscriptions, events, count, result));
        linker.DefineFunction(M, "proc_exit", static (Caller c, int code) => Ctx(c).ProcExit(code));
        linker.DefineFunction(M, "proc_raise", static (Caller c, int signal) => (int)Check(c, WasiContext.ProcRaise()));
        linker.DefineFunction(M, "sched_yield", static (Caller c) => (int)Check(c, WasiContext.SchedYield()));
        linker.DefineFunction(M, "random_get", static (Caller c, int buf, int length) => (int)Ctx(c).RandomGet(c, buf, length));

        linker.DefineFunction(M, "sock_accept", static (Caller c, int fd, int flags, int result) => (int)Ctx(c).Socket(fd));
        linker.DefineFunction(M, "sock_recv", static (Caller c, int fd, int data, int dataLength, int flags, int lengthResult, int flagsResult) => (int)Ctx(c).Socket(fd));
        linker.DefineFunction(M, "sock_send", static (Caller c, int fd, int data, int dataLength, int flags, int result) => (int)Ctx(c).Socket(fd));
        linker.DefineFunction(M, "sock_shutdown", static (Caller c, int fd, int how) => (int)Ctx(c).Socket(fd));
    }

    private static WasiContext Ctx(Caller caller)
    {
        var data = caller.GetData();
        var context = data as WasiContext ?? (data as IWasiHost)?.Wasi
            ?? throw new InvalidOperationException("the store's data must be a WasiContext or an IWasiHost for Carapace's WASI functions");
        context.ThrowIfDisposed();
        return context;
    }

    /// <summary>For calls that need no state: still insists on a live context, so a misconfigured store fails the same way everywhere.</summary>
    private static Errno Check(Caller caller, Errno result)
    {
        Ctx(caller);
        return result;
    }
}
