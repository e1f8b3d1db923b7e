using System.Runtime.CompilerServices;

namespace Carapace.Enclave.Host;

/// <summary>
/// Overwrites the thread's recently used stack: guest code compiled by Cranelift and the host calls it made may
/// have spilled function data into native stack frames that outlive the invocation. Called on the invocation
/// thread after each invocation (Clemmys zero-on-free, applied to the stack).
/// </summary>
internal static class StackScrubber
{
    private const int Bytes = 256 * 1024;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.NoOptimization)]
    public static void Scrub()
    {
        Span<byte> stack = stackalloc byte[Bytes];
        stack.Clear();
        Consume(stack);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Consume(Span<byte> stack) => GC.KeepAlive(stack.Length);
}
