using Carapace.Functions;
using Carapace.Protocol;

namespace Carapace.Enclave.Host;

/// <summary>
/// What one enclave program runs functions with — Wasmtime and Carapace's WASI in <c>Carapace.Enclave</c>, Jint in
/// <c>Carapace.Enclave.Js</c> — behind the host code both programs share (protocol, keys, sealing, receipts, KMS
/// release, shields). The host checks what is measured (code hash, manifest); the engine turns checked code into
/// something that runs and runs it under the manifest's limits.
/// </summary>
internal interface IFunctionEngine : IDisposable
{
    /// <summary>Which runtime this is (its files make the runtime identity).</summary>
    EnclaveRuntime Runtime { get; }

    /// <summary>Where sealed code lies in a function's image, relative to its root (<see cref="SealedCode"/>).</summary>
    string SealedCodePath { get; }

    /// <summary>The built-in echo function the cell warms its code paths with (its output is its input).</summary>
    ReadOnlySpan<byte> WarmupCode { get; }

    /// <summary>
    /// Loads the public code of a function: the code the host sent, which must hash to <paramref name="codeHash"/>, or
    /// the cached artifact it sent instead (authenticated by the engine). Returns the code and, when it compiled
    /// something the host may cache, the artifact (else empty).
    /// </summary>
    /// <exception cref="SpecializationException">The code is not what was measured, or cannot run here.</exception>
    (IFunctionCode Code, byte[] NewArtifact) Load(FunctionManifest manifest, SpecializeMessage request, byte[] codeHash);

    /// <summary>Loads sealed code read from the function's image (already checked against its measured hash; the caller zeroes it).</summary>
    /// <exception cref="SpecializationException">The code cannot run here.</exception>
    IFunctionCode LoadSealed(FunctionManifest manifest, ReadOnlySpan<byte> code);
}

/// <summary>A function's code, loaded and checked, ready to run any number of times (one at a time).</summary>
internal interface IFunctionCode : IDisposable
{
    /// <summary>Runs the function once; the result holds its output and log until it is disposed (which zeroes them).</summary>
    IFunctionRun Run(FunctionInvocation invocation);
}

/// <summary>What one run of a function gets.</summary>
/// <param name="Manifest">The measured manifest (limits, environment, image mount).</param>
/// <param name="Input">The opened input payload (plaintext, in the host's pinned buffer).</param>
/// <param name="Secrets">The function's secrets.</param>
/// <param name="Image">The function's mounted image, if it has one.</param>
internal sealed record FunctionInvocation(
    FunctionManifest Manifest, ReadOnlyMemory<byte> Input, IReadOnlyList<KeyValuePair<string, byte[]>> Secrets, FileSystem.IFileSystem? Image);

/// <summary>The outcome of one run: status, output and log (plaintext until sealed), and what it used.</summary>
internal interface IFunctionRun : IDisposable
{
    InvocationStatus Status { get; }

    int ExitCode { get; }

    /// <summary>A public sentence about the outcome (never the function's data).</summary>
    string Message { get; }

    long InstantiateMicros { get; }

    long MemoryBytes { get; }

    /// <summary>Fuel (WASI) or statements (JavaScript) used.</summary>
    long FuelUsed { get; }

    int OutputLength { get; }

    int CopyOutputTo(Span<byte> destination);

    int LogLength { get; }

    int CopyLogTo(Span<byte> destination);
}
