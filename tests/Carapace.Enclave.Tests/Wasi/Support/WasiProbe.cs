using System.Buffers.Binary;
using System.Runtime.Versioning;
using System.Text;
using Carapace.Enclave.Wasi;
using Wasmtime;

namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>
/// A WAT module that imports every <c>wasi_snapshot_preview1</c> function (with the signatures written out here,
/// independently of the implementation) and exports a wasm wrapper of each under the same name, plus two pages of
/// memory. Tests call single WASI functions with exact arguments and inspect the memory.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class WasiProbe : IDisposable
{
    /// <summary>Memory size of the probe (two pages).</summary>
    public const int MemorySize = 2 * 65536;

    /// <summary>Every preview 1 function: name, parameter types, whether it returns an errno.</summary>
    public static readonly (string Name, string Params, bool Result)[] Signatures =
    [
        ("args_get", "i32 i32", true),
        ("args_sizes_get", "i32 i32", true),
        ("environ_get", "i32 i32", true),
        ("environ_sizes_get", "i32 i32", true),
        ("clock_res_get", "i32 i32", true),
        ("clock_time_get", "i32 i64 i32", true),
        ("fd_advise", "i32 i64 i64 i32", true),
        ("fd_allocate", "i32 i64 i64", true),
        ("fd_close", "i32", true),
        ("fd_datasync", "i32", true),
        ("fd_fdstat_get", "i32 i32", true),
        ("fd_fdstat_set_flags", "i32 i32", true),
        ("fd_fdstat_set_rights", "i32 i64 i64", true),
        ("fd_filestat_get", "i32 i32", true),
        ("fd_filestat_set_size", "i32 i64", true),
        ("fd_filestat_set_times", "i32 i64 i64 i32", true),
        ("fd_pread", "i32 i32 i32 i64 i32", true),
        ("fd_prestat_get", "i32 i32", true),
        ("fd_prestat_dir_name", "i32 i32 i32", true),
        ("fd_pwrite", "i32 i32 i32 i64 i32", true),
        ("fd_read", "i32 i32 i32 i32", true),
        ("fd_readdir", "i32 i32 i32 i64 i32", true),
        ("fd_renumber", "i32 i32", true),
        ("fd_seek", "i32 i64 i32 i32", true),
        ("fd_sync", "i32", true),
        ("fd_tell", "i32 i32", true),
        ("fd_write", "i32 i32 i32 i32", true),
        ("path_create_directory", "i32 i32 i32", true),
        ("path_filestat_get", "i32 i32 i32 i32 i32", true),
        ("path_filestat_set_times", "i32 i32 i32 i32 i64 i64 i32", true),
        ("path_link", "i32 i32 i32 i32 i32 i32 i32", true),
        ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32", true),
        ("path_readlink", "i32 i32 i32 i32 i32 i32", true),
        ("path_remove_directory", "i32 i32 i32", true),
        ("path_rename", "i32 i32 i32 i32 i32 i32", true),
        ("path_symlink", "i32 i32 i32 i32 i32", true),
        ("path_unlink_file", "i32 i32 i32", true),
        ("poll_oneoff", "i32 i32 i32 i32", true),
        ("proc_exit", "i32", false),
        ("proc_raise", "i32", true),
        ("sched_yield", "", true),
        ("random_get", "i32 i32", true),
        ("sock_accept", "i32 i32 i32", true),
        ("sock_recv", "i32 i32 i32 i32 i32 i32", true),
        ("sock_send", "i32 i32 i32 i32 i32", true),
        ("sock_shutdown", "i32 i32", true),
    ];

    private static readonly Lazy<Module> _module = new(() => Module.FromText(WasiHarness.Engine, "probe", Text()));
    private readonly Linker _linker;
    private readonly Store _store;
    private readonly Instance _instance;

    public WasiProbe(WasiOptions? options = null)
    {
        Context = new WasiContext(options ?? new WasiOptions());
        _linker = new Linker(WasiHarness.Engine);
        WasiPreview1.Define(_linker);
        _store = new Store(WasiHarness.Engine, Context);
        _instance = _linker.Instantiate(_store, _module.Value);
        Memory = _instance.GetMemory("memory")!;
    }

    public WasiContext Context { get; }

    public Memory Memory { get; }

    /// <summary>Calls WASI function <paramref name="name"/> through its wasm wrapper; returns the errno.</summary>
    public Errno Call(string name, params ValueBox[] args)
    {
        var function = _instance.GetFunction(name) ?? throw new ArgumentException("no such function " + name, nameof(name));
        return (Errno)(int)function.Invoke(args)!;
    }

    /// <summary>Calls a function expected to trap (proc_exit); returns the exception.</summary>
    public Exception CallTrapping(string name, params ValueBox[] args)
    {
        var function = _instance.GetFunction(name)!;
        try
        {
            function.Invoke(args);
        }
        catch (WasmtimeException e)
        {
            return e;
        }

        throw new InvalidOperationException(name + " did not trap");
    }

    public void Write(int address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(Memory.GetSpan(address, bytes.Length));

    /// <summary>Writes UTF-8 text (no terminator) and returns its length in bytes.</summary>
    public int WriteText(int address, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Write(address, bytes);
        return bytes.Length;
    }

    /// <summary>Writes one iovec {buf, len} at <paramref name="address"/>.</summary>
    public void WriteIovec(int address, int buffer, int length)
    {
        WriteU32(address, (uint)buffer);
        WriteU32(address + 4, (uint)length);
    }

    public void WriteU32(int address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Memory.GetSpan(address, 4), value);

    public void WriteU64(int address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Memory.GetSpan(address, 8), value);

    public byte[] Read(int address, int length) => Memory.GetSpan(address, length).ToArray();

    public string ReadText(int address, int length) => Encoding.UTF8.GetString(Memory.GetSpan(address, length));

    public uint U32(int address) => BinaryPrimitives.ReadUInt32LittleEndian(Memory.GetSpan(address, 4));

    public ulong U64(int address) => BinaryPrimitives.ReadUInt64LittleEndian(Memory.GetSpan(address, 8));

    public ushort U16(int address) => BinaryPrimitives.ReadUInt16LittleEndian(Memory.GetSpan(address, 2));

    public byte U8(int address) => Memory.GetSpan(address, 1)[0];

    /// <summary>path_open relative to <paramref name="dirFd"/>; the new fd lands in <paramref name="fd"/> (-1 on failure).</summary>
    public Errno Open(int dirFd, string path, out int fd, int oflags = 0, long rights = (long)(WasiRightsForTests.FdRead), int fdflags = 0)
    {
        const int pathAt = 60000, resultAt = 59000;
        var length = WriteText(pathAt, path);
        WriteU32(resultAt, 0xFFFFFFFF);
        var e = Call("path_open", dirFd, 0, pathAt, length, oflags, rights, 0L, fdflags, resultAt);
        fd = e == Errno.Success ? (int)U32(resultAt) : -1;
        return e;
    }

    /// <summary>Writes <paramref name="data"/> to <paramref name="fd"/> with one fd_write.</summary>
    public Errno WriteFd(int fd, ReadOnlySpan<byte> data, out uint written)
    {
        const int dataAt = 70000, iovAt = 58000, resultAt = 58100;
        Write(dataAt, data);
        WriteIovec(iovAt, dataAt, data.Length);
        var e = Call("fd_write", fd, iovAt, 1, resultAt);
        written = U32(resultAt);
        return e;
    }

    /// <summary>Reads up to <paramref name="max"/> bytes from <paramref name="fd"/> with one fd_read.</summary>
    public Errno ReadFd(int fd, int max, out byte[] data)
    {
        const int dataAt = 70000, iovAt = 58000, resultAt = 58100;
        WriteIovec(iovAt, dataAt, max);
        var e = Call("fd_read", fd, iovAt, 1, resultAt);
        data = e == Errno.Success ? Read(dataAt, (int)U32(resultAt)) : [];
        return e;
    }

    public void Dispose()
    {
        _store.Dispose();
        _linker.Dispose();
        Context.Dispose();
    }

    private static string Text()
    {
        var wat = new StringBuilder("(module\n");
        foreach (var (name, parameters, result) in Signatures)
        {
            var sig = (parameters.Length == 0 ? "" : $"(param {parameters})") + (result ? " (result i32)" : "");
            wat.Append($"  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} {sig}))\n");
        }

        wat.Append("  (memory (export \"memory\") 2)\n");
        foreach (var (name, parameters, result) in Signatures)
        {
            var sig = (parameters.Length == 0 ? "" : $"(param {parameters})") + (result ? " (result i32)" : "");
            var count = parameters.Length == 0 ? 0 : parameters.Split(' ').Length;
            var body = string.Concat(Enumerable.Range(0, count).Select(i => $" local.get {i}"));
            wat.Append($"  (func (export \"{name}\") {sig}{body} call ${name})\n");
        }

        return wat.Append(')').ToString();
    }
}
