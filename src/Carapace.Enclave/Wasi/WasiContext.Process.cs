using System.Buffers.Binary;
using System.Security.Cryptography;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// Arguments, environment, randomness, exit and scheduling.
public sealed partial class WasiContext
{
    internal Errno ArgsSizesGet(Caller caller, int countPtr, int sizePtr) =>
        SizesGet(Guest(caller), _argOffsets.Length, _argBytes.Length, countPtr, sizePtr);

    internal Errno ArgsGet(Caller caller, int listPtr, int bufferPtr) =>
        ListGet(Guest(caller), _argBytes, _argOffsets, listPtr, bufferPtr);

    internal Errno EnvironSizesGet(Caller caller, int countPtr, int sizePtr) =>
        SizesGet(Guest(caller), _envOffsets.Length, _envBytes.Length, countPtr, sizePtr);

    internal Errno EnvironGet(Caller caller, int listPtr, int bufferPtr) =>
        ListGet(Guest(caller), _envBytes, _envOffsets, listPtr, bufferPtr);

    internal Errno RandomGet(Caller caller, int bufferPtr, int length)
    {
        var m = Guest(caller);
        if (!m.TrySpan((uint)bufferPtr, (uint)length, out var buffer))
        {
            return Errno.Fault;
        }

        RandomNumberGenerator.Fill(buffer);
        return Errno.Success;
    }

    /// <summary>Records the exit code and unwinds the guest with <see cref="WasiExitException"/>.</summary>
    internal void ProcExit(int code)
    {
        ExitCode = code;
        throw new WasiExitException(code);
    }

    /// <summary>Signals do not exist for a function.</summary>
    internal static Errno ProcRaise() => Errno.NoSys;

    /// <summary>One invocation runs on one thread with nothing else to schedule: yielding is a no-op.</summary>
    internal static Errno SchedYield() => Errno.Success;

    private static Errno SizesGet(scoped in GuestMemory m, int count, int size, int countPtr, int sizePtr)
    {
        if (!m.Contains((uint)countPtr, 4) || !m.Contains((uint)sizePtr, 4))
        {
            return Errno.Fault;
        }

        m.TryWriteUInt32((uint)countPtr, (uint)count);
        m.TryWriteUInt32((uint)sizePtr, (uint)size);
        return Errno.Success;
    }

    private static Errno ListGet(scoped in GuestMemory m, byte[] bytes, int[] offsets, int listPtr, int bufferPtr)
    {
        if (!m.TrySpan((uint)listPtr, (ulong)offsets.Length * 4, out var list) || !m.TrySpan((uint)bufferPtr, (ulong)bytes.Length, out var buffer))
        {
            return Errno.Fault;
        }

        bytes.CopyTo(buffer);
        for (var i = 0; i < offsets.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(list[(i * 4)..], (uint)bufferPtr + (uint)offsets[i]);
        }

        return Errno.Success;
    }
}
