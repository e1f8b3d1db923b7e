using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>
/// Compiles the C test programs in <c>Wasi/Programs</c> to <c>wasm32-wasi</c> on first use, with the system's clang
/// and wasi-libc (<c>apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32</c>; <c>./test.sh</c> installs them).
/// Results are cached under the test output, keyed by a hash of the sources and flags.
/// </summary>
internal static class WasiPrograms
{
    private static readonly string[] _flags = ["--target=wasm32-wasi", "-O2", "-s", "-Wall", "-Wextra", "-Werror"];
    private static readonly ConcurrentDictionary<string, Lazy<string>> _compiled = new();

    public static string SourceDirectory => Path.Combine(RepoPaths.Root, "tests", "Carapace.Enclave.Tests", "Wasi", "Programs");

    public static string CacheDirectory => Path.Combine(AppContext.BaseDirectory, "wasi-programs");

    /// <summary>The path of the compiled module for <c>Programs/NAME.c</c>.</summary>
    public static string ModulePath(string name) => _compiled.GetOrAdd(name, n => new Lazy<string>(() => Compile(n))).Value;

    private static string Compile(string name)
    {
        var source = Path.Combine(SourceDirectory, name + ".c");
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"no test program {name}.c", source);
        }

        // The key covers the program, every shared header and the flags.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join(' ', _flags)));
        hash.AppendData(File.ReadAllBytes(source));
        foreach (var header in Directory.GetFiles(SourceDirectory, "*.h").Order(StringComparer.Ordinal))
        {
            hash.AppendData(File.ReadAllBytes(header));
        }

        var key = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        var output = Path.Combine(CacheDirectory, $"{name}-{key}.wasm");
        if (File.Exists(output))
        {
            return output;
        }

        Directory.CreateDirectory(CacheDirectory);
        var clang = FindClang() ?? throw new InvalidOperationException(
            "clang is not installed, so the WASI test programs cannot be compiled: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 (./test.sh installs them)");
        var temporary = output + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var start = new ProcessStartInfo(clang) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var flag in _flags)
        {
            start.ArgumentList.Add(flag);
        }

        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(temporary);
        start.ArgumentList.Add(source);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            File.Delete(temporary);
            throw new InvalidOperationException(
                $"compiling {name}.c failed (exit {process.ExitCode}); wasm32-wasi needs the packages clang lld wasi-libc libclang-rt-14-dev-wasm32:\n{stdout}{stderr.Result}");
        }

        File.Move(temporary, output, overwrite: true);
        return output;
    }

    private static string? FindClang()
    {
        // CARAPACE_TEST_CC overrides (e.g. a versioned clang-14); it must name an existing file.
        var cc = Environment.GetEnvironmentVariable("CARAPACE_TEST_CC");
        if (!string.IsNullOrEmpty(cc))
        {
            return File.Exists(cc) ? cc : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "clang");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
