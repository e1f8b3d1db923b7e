using Carapace.Attestation.Receipts;
using Carapace.Attestation.Tee;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;

namespace Carapace.Enclave.Host;

/// <summary>
/// Before a stem cell announces itself, it provisions, specialises and invokes a tiny built-in echo function (its
/// engine's <see cref="IFunctionEngine.WarmupCode"/>) through
/// the same code paths a real function takes (session crypto, manifest, compile, WASI, envelopes, protocol
/// encoding), then unloads it. The first-use costs (Wasmtime's first compile and instantiation, OpenSSL's set-up of
/// each algorithm, and under the JIT build the compilation of the code itself) are then paid while the cell waits in the
/// pool, not on a request's critical path, so specialising a cell costs a module load and one run. It does so twice, the second time from
/// the cache artifact the first produced, so loading a cached module is warm too. For KMS mode it also signs a receipt with a
/// throwaway receipt key and, in parallel (<see cref="StartKmsClient"/>), runs the trusted steps of one attested release
/// in process (RA-TLS certificates, a TLS handshake between two in-process streams, a sealed release opened): the TLS,
/// RA-TLS, CBOR, JSON and ECDH code a real release needs is then loaded, compiled and initialised before the cell
/// announces itself, with no network and no listening socket, and nothing of it is kept.
/// </summary>
internal static class Warmup
{
    /// <summary>
    /// The echo function, as WebAssembly binary (no custom sections), so that warming up needs no text parser:
    /// <code>
    /// (module
    ///   (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
    ///   (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    ///   (memory (export "memory") 1)
    ///   (func (export "_start")
    ///     (i32.store (i32.const 0) (i32.const 64))
    ///     (i32.store (i32.const 4) (i32.const 1024))
    ///     (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    ///     (i32.store (i32.const 4) (i32.load (i32.const 8)))
    ///     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    /// </code>
    /// </summary>
    internal static ReadOnlySpan<byte> EchoModule =>
    [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f,
        0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x44, 0x02, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73,
        0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
        0x07, 0x66, 0x64, 0x5f, 0x72, 0x65, 0x61, 0x64, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f,
        0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77,
        0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01,
        0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02,
        0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x02, 0x0a, 0x34, 0x01, 0x32, 0x00, 0x41,
        0x00, 0x41, 0xc0, 0x00, 0x36, 0x02, 0x00, 0x41, 0x04, 0x41, 0x80, 0x08, 0x36, 0x02, 0x00, 0x41,
        0x00, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x1a, 0x41, 0x04, 0x41, 0x08, 0x28, 0x02,
        0x00, 0x36, 0x02, 0x00, 0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x01, 0x1a, 0x0b,
    ];

    /// <summary>
    /// Starts the KMS client warm-up on the thread pool. The task never fails: when the warm-up cannot run here, the
    /// cell still works, its first release just pays the first-use costs; stderr says so.
    /// </summary>
    public static Task StartKmsClient() => Task.Run(() =>
    {
        try
        {
            KmsAttestor.WarmUp();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"carapace-enclave: the KMS warm-up did not complete ({e.GetType().Name}); the first KMS release will be slower");
        }
    });

    /// <summary>The input of the warm-up invocation, which the echo function of either engine returns unchanged.</summary>
    internal static ReadOnlySpan<byte> EchoInput => "{\"warm\":\"up\"}"u8;

    public static void Run(EnclaveHost host)
    {
        var module = host.Engine.WarmupCode.ToArray();

        // Twice: compiled from the module, then loaded from the cache artifact that produced, as a cached function is
        // (an engine without artifacts, the JavaScript one, runs its code twice instead: its second run is the warm one).
        var artifact = SpecializeAndEcho(host, module, ReadOnlyMemory<byte>.Empty, signReceipt: true);
        if (artifact.IsEmpty)
        {
            SpecializeAndEcho(host, module, ReadOnlyMemory<byte>.Empty, signReceipt: false);
            return;
        }

        SpecializeAndEcho(host, ReadOnlyMemory<byte>.Empty, artifact, signReceipt: false, moduleHash: System.Security.Cryptography.SHA256.HashData(module));
    }

    /// <summary>Provisions, specialises and invokes the echo function once, then unloads it; returns the new cache artifact.</summary>
    private static ReadOnlyMemory<byte> SpecializeAndEcho(EnclaveHost host, ReadOnlyMemory<byte> module, ReadOnlyMemory<byte> cached, bool signReceipt, byte[]? moduleHash = null)
    {
        using var master = MasterKey.Generate();
        using var input = master.Derive("warm-up", 0, 1);
        using var output = master.Derive("warm-up", 1, 2);
        using var log = master.Derive("warm-up", 1, 0);
        using var session = new EnclaveSession();
        using var provisioner = new Provisioner(session.PublicKey);
        using var payload = new ProvisioningPayload
        {
            Manifest = new FunctionManifest { Name = "warm-up", JavaScriptMain = host.Engine.Runtime == EnclaveRuntime.JavaScript ? "main" : null }.Encode(),
            ModuleHash = moduleHash ?? System.Security.Cryptography.SHA256.HashData(module.Span),
            Input = EdgeGrant.From(input),
            Output = EdgeGrant.From(output),
            Log = EdgeGrant.From(log),
        };
        var request = new SpecializeMessage(provisioner.PublicKey, provisioner.Seal(payload), module, cached, null);
        var specialized = SpecializedMessage.Decode(host.Specialize(SpecializeMessage.Decode(request.Encode()), session).Encode());
        try
        {
            if (!provisioner.Confirms(specialized.Confirmation.Span, specialized.Measurement.Span))
            {
                throw new InvalidOperationException("warm-up: the enclave's own confirmation does not verify");
            }

            var sealedInput = EnvelopeSealer.Seal(input, EchoInput);
            var result = ResultMessage.Decode(host.Function!.Invoke(1, InvokeMessage.Decode(new InvokeMessage(1, sealedInput).Encode()).Input).Encode());
            using var opened = EnvelopeOpener.Open(output, result.Output.Span);
            if (result.Status != InvocationStatus.Completed || !opened.Payload.Span.SequenceEqual(EchoInput))
            {
                throw new InvalidOperationException($"warm-up: the echo function did not echo ({result.Status}: {result.Message})");
            }

            if (signReceipt)
            {
                SignReceipt(specialized.Measurement.ToArray(), sealedInput, result);
            }

            return specialized.NewArtifact;
        }
        finally
        {
            host.Unload();
        }
    }

    /// <summary>Makes a receipt signer with a throwaway quoting key and signs the warm-up invocation's receipt, as a KMS-mode function does.</summary>
    private static void SignReceipt(byte[] measurement, byte[] sealedInput, ResultMessage result)
    {
        using var throwaway = TeeBackend.EphemeralSimulation();
        var signer = ReceiptSigner.CreateAsync(throwaway.IssuerFor(measurement)).AsTask().GetAwaiter().GetResult();
        using var receipts = new InvocationReceipts("warm-up", "warm-up", measurement, signer);
        var receipt = receipts.Issue(EnvelopeHeader.Parse(sealedInput).Metadata, sealedInput, result.Output.Span, result.Log.Span,
            result.Status, result.ExitCode, receipts.Clock.GetUtcNow(), result.Usage);
        if (receipt.Length == 0)
        {
            throw new InvalidOperationException("warm-up: no receipt was signed");
        }
    }
}
