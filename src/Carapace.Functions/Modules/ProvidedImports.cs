using System.Collections.Frozen;
using static Carapace.Functions.Modules.WasmValueType;

namespace Carapace.Functions.Modules;

/// <summary>
/// Everything a Carapace function may import: the functions of WASI preview 1 (<c>wasi_snapshot_preview1</c>, as
/// specified by its witx), each with its exact signature — and nothing else (no memories, tables, globals or other
/// modules). The one list both <see cref="CommandModule.Validate"/> and the enclave's linker
/// (<c>Carapace.Enclave.Wasi.WasiPreview1.Define</c>, whose <c>FunctionNames</c> is this list) go by; the enclave's
/// tests check that the linker defines exactly these names with these signatures.
/// </summary>
public static class ProvidedImports
{
    /// <summary>The only import module: <c>wasi_snapshot_preview1</c>.</summary>
    public const string Module = "wasi_snapshot_preview1";

    private static readonly (string Name, FunctionSignature Signature)[] s_functions =
    [
        ("args_get", Errno(I32, I32)),
        ("args_sizes_get", Errno(I32, I32)),
        ("environ_get", Errno(I32, I32)),
        ("environ_sizes_get", Errno(I32, I32)),
        ("clock_res_get", Errno(I32, I32)),
        ("clock_time_get", Errno(I32, I64, I32)),
        ("fd_advise", Errno(I32, I64, I64, I32)),
        ("fd_allocate", Errno(I32, I64, I64)),
        ("fd_close", Errno(I32)),
        ("fd_datasync", Errno(I32)),
        ("fd_fdstat_get", Errno(I32, I32)),
        ("fd_fdstat_set_flags", Errno(I32, I32)),
        ("fd_fdstat_set_rights", Errno(I32, I64, I64)),
        ("fd_filestat_get", Errno(I32, I32)),
        ("fd_filestat_set_size", Errno(I32, I64)),
        ("fd_filestat_set_times", Errno(I32, I64, I64, I32)),
        ("fd_pread", Errno(I32, I32, I32, I64, I32)),
        ("fd_prestat_get", Errno(I32, I32)),
        ("fd_prestat_dir_name", Errno(I32, I32, I32)),
        ("fd_pwrite", Errno(I32, I32, I32, I64, I32)),
        ("fd_read", Errno(I32, I32, I32, I32)),
        ("fd_readdir", Errno(I32, I32, I32, I64, I32)),
        ("fd_renumber", Errno(I32, I32)),
        ("fd_seek", Errno(I32, I64, I32, I32)),
        ("fd_sync", Errno(I32)),
        ("fd_tell", Errno(I32, I32)),
        ("fd_write", Errno(I32, I32, I32, I32)),
        ("path_create_directory", Errno(I32, I32, I32)),
        ("path_filestat_get", Errno(I32, I32, I32, I32, I32)),
        ("path_filestat_set_times", Errno(I32, I32, I32, I32, I64, I64, I32)),
        ("path_link", Errno(I32, I32, I32, I32, I32, I32, I32)),
        ("path_open", Errno(I32, I32, I32, I32, I32, I64, I64, I32, I32)),
        ("path_readlink", Errno(I32, I32, I32, I32, I32, I32)),
        ("path_remove_directory", Errno(I32, I32, I32)),
        ("path_rename", Errno(I32, I32, I32, I32, I32, I32)),
        ("path_symlink", Errno(I32, I32, I32, I32, I32)),
        ("path_unlink_file", Errno(I32, I32, I32)),
        ("poll_oneoff", Errno(I32, I32, I32, I32)),
        ("proc_exit", new FunctionSignature([I32], [])),
        ("proc_raise", Errno(I32)),
        ("sched_yield", Errno()),
        ("random_get", Errno(I32, I32)),
        ("sock_accept", Errno(I32, I32, I32)),
        ("sock_recv", Errno(I32, I32, I32, I32, I32, I32)),
        ("sock_send", Errno(I32, I32, I32, I32, I32)),
        ("sock_shutdown", Errno(I32, I32)),
    ];

    /// <summary>The provided functions of <see cref="Module"/> by name, with their signatures.</summary>
    public static FrozenDictionary<string, FunctionSignature> Functions { get; } =
        s_functions.ToFrozenDictionary(f => f.Name, f => f.Signature, StringComparer.Ordinal);

    /// <summary>The provided function names, in the order of the WASI preview 1 specification.</summary>
    public static IReadOnlyList<string> FunctionNames { get; } = [.. s_functions.Select(f => f.Name)];

    /// <summary>The signature of <paramref name="module"/>.<paramref name="name"/> if Carapace provides it; otherwise null.</summary>
    public static FunctionSignature? Find(string module, string name) =>
        module == Module && Functions.TryGetValue(name, out var signature) ? signature : null;

    // Every WASI preview 1 function but proc_exit returns an errno (i32).
    private static FunctionSignature Errno(params WasmValueType[] parameters) => new(parameters, [I32]);
}
