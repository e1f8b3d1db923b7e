using System.Runtime.Versioning;
using System.Text;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>The outcome of one run: the context (disposed with this object) and the trap, if any.</summary>
[SupportedOSPlatform("linux")]
internal sealed class WasiRun(WasiContext context, Exception? trap) : IDisposable
{
    public WasiContext Context => context;

    public Exception? Trap => trap;

    /// <summary>The exit status: proc_exit's code, or 0 after a normal return.</summary>
    public int ExitCode => context.ExitCode ?? 0;

    public string Stdout => Encoding.UTF8.GetString(context.CopyStdout());

    public string Stderr => Encoding.UTF8.GetString(context.CopyStderr());

    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public void Dispose() => context.Dispose();
}
