using System.Diagnostics;
using Carapace.Attestation.Tee;
using Carapace.Enclave.Runtime;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Kms.Client;
using Carapace.Protocol;
using Carapace.Protocol.Lane;

namespace Carapace.Enclave.Host;

/// <summary>
/// The enclave process's main loop, shared by both enclave programs (WASI and JavaScript; the engine is an
/// <see cref="IFunctionEngine"/>). At start it hashes its own runtime, prepares its engine, makes a fresh session
/// key pair, warms its code paths with a built-in function, and announces itself (ready). It then serves one
/// specialisation and any number of invocations, one at a time, until the host asks it to shut down or closes the
/// channel. Every failure a request can cause is answered with a failure message; nothing a guest or the host
/// sends can crash the process.
/// </summary>
internal sealed partial class EnclaveHost : IDisposable
{
    private readonly byte[] _runtimeIdentity;
    private readonly SimulatedPlatform _platform;
    private readonly EnclaveSession _session = new();
    private readonly KmsAttestor _kms;
    private readonly TeeBackend _tee;
    private readonly IFunctionEngine _engine;
    private readonly Task _kmsWarmUp;
    private LoadedFunction? _function;
    private bool _fatal;

    /// <summary>
    /// Starts the enclave's runtime; it takes ownership of <paramref name="tee"/>, the backend its evidence comes from.
    /// <paramref name="flavor"/> is this program's engine, already being prepared (<see cref="EnclaveFlavor.Prepare"/>),
    /// and <paramref name="kmsWarmUp"/> the KMS client warm-up (<see cref="Warmup.StartKmsClient"/>), both started first
    /// thing by the program so that they overlap the TEE, the runtime identity and the keys.
    /// </summary>
    public EnclaveHost(string runtimeDirectory, string platformKeyPath, TeeBackend tee, TeeSettings settings, EnclaveFlavor flavor, Task kmsWarmUp)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        _kmsWarmUp = kmsWarmUp;
        _tee = tee;
        // The KMS this runtime trusts is part of its identity: one measurement serves both.
        var kmsMeasurement = RuntimeFiles.KmsMeasurement(runtimeDirectory);
        _runtimeIdentity = RuntimeFiles.Identity(flavor, runtimeDirectory, kmsMeasurement,
            // One cache file per program: WASI and JavaScript cells share a platform key, and would overwrite each other's.
            Path.Combine(Path.GetDirectoryName(Path.GetFullPath(platformKeyPath)) ?? ".", flavor.Runtime == EnclaveRuntime.Wasi ? "runtime-hashes" : "runtime-hashes-" + flavor.Runtime.Name));
        StartTimings.Mark("identity");
        _platform = SimulatedPlatform.LoadOrCreate(platformKeyPath);
        _kms = new KmsAttestor(tee, settings, kmsMeasurement);
        StartTimings.Mark("platform key");
        _engine = flavor.CreateEngine(_platform, _runtimeIdentity);
        StartTimings.Mark("engine (rest)");
    }

    /// <summary>The engine functions run with (for warm-up).</summary>
    internal IFunctionEngine Engine => _engine;

    public byte[] RuntimeIdentityValue => _runtimeIdentity;

    /// <summary>
    /// Serves the host until it asks for shutdown or closes the channel. The loop is synchronous on purpose: the
    /// enclave handles one request at a time, so blocking in read(2) wakes this thread the moment a request arrives,
    /// and every body lands in one reused buffer.
    /// </summary>
    /// <param name="fromHost">The pipe from the worker.</param>
    /// <param name="toHost">The pipe to the worker.</param>
    /// <param name="lanePath">The shared lane file the worker created, if any (see <see cref="HostLink"/>).</param>
    public int Run(Stream fromHost, Stream toHost, string? lanePath = null)
    {
        using var channel = new FrameChannel(fromHost, toHost, reuseReadBuffer: true);
        Warmup.Run(this);
        StartTimings.Mark("warm-up");
        _kmsWarmUp.GetAwaiter().GetResult();
        StartTimings.Mark("kms warm-up (rest)");
        using var link = new HostLink(channel, OpenLane(lanePath));
        var ready = new ReadyMessage(ReadyMessage.CurrentVersion, _runtimeIdentity, _session.PublicKey, Environment.ProcessId, Simulation: _tee.IsSimulated, Lane: link.HasLane);
        channel.Write(MessageType.Ready, ready.Encode());
        StartTimings.Mark("ready");
        StartTimings.Report();
        while (true)
        {
            Frame? frame;
            try
            {
                frame = link.Read();
            }
            catch (ProtocolException e)
            {
                channel.Write(MessageType.Failure, new FailureMessage("protocol", e.Message, Fatal: true).Encode());
                return 2;
            }

            if (frame is null || frame.Value.Type == MessageType.Shutdown)
            {
                return 0;
            }

            var (type, body) = Handle(frame.Value);
            link.Write(type, body);
            if (_fatal)
            {
                return 70;
            }
        }
    }

    /// <summary>Maps the worker's lane; a lane that cannot be mapped only means frames keep to the pipe.</summary>
    private static SharedLane? OpenLane(string? path)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            var lane = SharedLane.Open(path);

            // Mapped: nobody needs the name any more (the worker deletes it too, once Ready arrives).
            lane.Unlink();
            return lane;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("carapace-enclave: the shared lane is not usable, using the pipe only: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// Zeroes what this enclave holds of keys and plaintext — the loaded function's edge keys, secrets, receipt key,
    /// image keys and plaintext buffers, the session key and the platform key — from another thread and without
    /// waiting for the one that may be running the function (which then fails; the process is about to end). The
    /// guest's linear memory belongs to that thread's store and is left to the kernel, which frees it with the process.
    /// </summary>
    internal void Wipe()
    {
        _function?.Wipe();
        _session.Dispose();
        _platform.Dispose();
    }

    public void Dispose()
    {
        _function?.Dispose();
        _engine.Dispose();

        _session.Dispose();
        _platform.Dispose();
        _tee.Dispose();
    }

    /// <summary>Serves one request; every expected failure becomes a failure message.</summary>
    internal (MessageType Type, byte[] Body) Handle(Frame frame)
    {
        try
        {
            switch (frame.Type)
            {
                case MessageType.Specialize:
                    return (MessageType.Specialized, Specialize(SpecializeMessage.Decode(frame.Body), _session).Encode());
                case MessageType.Invoke:
                    var invoke = InvokeMessage.Decode(frame.Body);
                    var function = _function ?? throw new SpecializationException("no function is loaded: send Specialize first");
                    return (MessageType.Result, function.Invoke(invoke.InvocationId, invoke.Input).Encode());
                default:
                    return Failure("protocol", $"{frame.Type} is not a host-to-enclave message");
            }
        }
        catch (SpecializationException e)
        {
            return Failure(frame.Type == MessageType.Specialize ? "specialize" : "invoke", e.Message, e.Reason);
        }
        catch (ProtocolException e)
        {
            return Failure("protocol", e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug: say what kind, never the message (it could carry data from anywhere), and have the host
            // replace this enclave, whose state is now unknown.
            Console.Error.WriteLine($"carapace-enclave: internal error ({e.GetType().FullName}) during {frame.Type}");
            _fatal = true;
            return (MessageType.Failure, new FailureMessage("internal", $"internal error in the enclave ({e.GetType().Name}); it will exit", Fatal: true).Encode());
        }
    }

    /// <summary>Forgets the loaded function (warm-up only).</summary>
    internal void Unload()
    {
        _function?.Dispose();
        _function = null;
    }

    internal LoadedFunction? Function => _function;

    private static byte[] PinnedCopy(ReadOnlySpan<byte> value)
    {
        var copy = GC.AllocateUninitializedArray<byte>(value.Length, pinned: true);
        value.CopyTo(copy);
        return copy;
    }

    private static (MessageType, byte[]) Failure(string stage, string message, string? reason = null) =>
        (MessageType.Failure, new FailureMessage(stage, message, Fatal: false, reason).Encode());
}
