using System.Diagnostics;
using System.Security.Cryptography;
using Carapace.Attestation.Tee;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Enclave.Runtime;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Functions.Images;
using Carapace.Functions.Provisioning;
using Carapace.Kms.Client;
using Carapace.Protocol;
using Carapace.Protocol.Lane;
using Wasmtime;

namespace Carapace.Enclave.Host;

/// <summary>
/// The enclave process's main loop. At start it hashes its own runtime, prepares its engine, makes a fresh session
/// key pair, warms its code paths with a built-in function, and announces itself (ready). It then serves one
/// specialisation and any number of invocations, one at a time, until the host asks it to shut down or closes the
/// channel. Every failure a request can cause is answered with a failure message; nothing a guest or the host
/// sends can crash the process.
/// </summary>
internal sealed class EnclaveHost : IDisposable
{
    private readonly byte[] _runtimeIdentity;
    private readonly SimulatedPlatform _platform;
    private readonly EnclaveSession _session = new();
    private readonly EpochTicker _ticker = new();
    private readonly KmsAttestor _kms;
    private readonly TeeBackend _tee;
    private readonly Dictionary<bool, (Engine Engine, Linker Linker, ModuleCache Cache)> _engines = [];
    private readonly Task _kmsWarmUp;
    private LoadedFunction? _function;
    private bool _fatal;

    /// <summary>
    /// Starts the enclave's runtime; it takes ownership of <paramref name="tee"/>, the backend its evidence comes from.
    /// <paramref name="engine"/> is the engine without fuel being made on another thread (<see cref="PrepareEngine"/>) and
    /// <paramref name="kmsWarmUp"/> the KMS client warm-up (<see cref="Warmup.StartKmsClient"/>), both started first
    /// thing by the program so that they overlap the TEE, the runtime identity and the keys.
    /// </summary>
    public EnclaveHost(string runtimeDirectory, string platformKeyPath, TeeBackend tee, TeeSettings settings, Task<(Engine Engine, Linker Linker)> engine, Task kmsWarmUp)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _kmsWarmUp = kmsWarmUp;
        _tee = tee;
        // The KMS this runtime trusts is part of its identity: one measurement serves both.
        var kmsMeasurement = RuntimeFiles.KmsMeasurement(runtimeDirectory);
        _runtimeIdentity = RuntimeFiles.Identity(runtimeDirectory, kmsMeasurement,
            Path.Combine(Path.GetDirectoryName(Path.GetFullPath(platformKeyPath)) ?? ".", "runtime-hashes"));
        StartTimings.Mark("identity");
        _platform = SimulatedPlatform.LoadOrCreate(platformKeyPath);
        _kms = new KmsAttestor(tee, settings, kmsMeasurement);
        StartTimings.Mark("platform key");
        var (prepared, linker) = engine.GetAwaiter().GetResult();
        AddEngine(fuel: false, prepared, linker);
        StartTimings.Mark("engine (rest)");
    }

    /// <summary>
    /// Makes the engine and linker for functions without fuel (the usual case) on a thread of its own: loading
    /// libwasmtime.so and defining the WASI imports is a good part of a cell's start, and needs nothing else.
    /// </summary>
    public static Task<(Engine Engine, Linker Linker)> PrepareEngine() =>
        Task.Factory.StartNew(() => NewEngine(fuel: false), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

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
        _ticker.Dispose();
        foreach (var (engine, linker, cache) in _engines.Values)
        {
            cache.Dispose();
            linker.Dispose();
            engine.Dispose();
        }

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

    /// <summary>
    /// Loads a function: its keys and secrets come either sealed from a provisioner (possibly this enclave itself,
    /// for warm-up) or from the KMS by attestation.
    /// </summary>
    internal SpecializedMessage Specialize(SpecializeMessage request, EnclaveSession session)
    {
        if (_function is not null)
        {
            throw new SpecializationException("this enclave is already specialised; start another one");
        }

        return request.Kms is { } kms ? SpecializeFromKms(request, kms) : SpecializeProvisioned(request, session);
    }

    private SpecializedMessage SpecializeProvisioned(SpecializeMessage request, EnclaveSession session)
    {
        ProvisioningPayload payload;
        try
        {
            payload = session.OpenProvisioning(request.ProvisionerPublicKey.Span, request.SealedProvisioning.Span);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw new SpecializationException("provisioning rejected: " + e.Message);
        }

        using (payload)
        {
            var manifest = DecodeManifest(payload.Manifest);
            return Load(request, manifest, payload.Manifest, payload.ModuleHash, (module, measurement) =>
            {
                var image = MountImage(manifest, request.ImagePath, payload.ImageKey);
                var code = SealedModule(module.Engine, manifest, image) ?? module.Module;
                // The function gets its own (pinned) copies of keys and secrets; the payload is zeroed on the way out.
                _function = new LoadedFunction(module.Engine, module.Linker, code, manifest,
                    FunctionKeys.Fixed(payload.Input.ToEdgeKey(), payload.Output.ToEdgeKey(), payload.Log.ToEdgeKey()),
                    [.. payload.Secrets.Select(s => new KeyValuePair<string, byte[]>(s.Key, PinnedCopy(s.Value)))], image);
                DisposeStub(module.Module, code);
                return session.Confirm(measurement);
            });
        }
    }

    private SpecializedMessage SpecializeFromKms(SpecializeMessage request, KmsProvisioning kms)
    {
        if (kms.ModuleHash.Length != SHA256.HashSizeInBytes)
        {
            throw new SpecializationException("the module hash in the KMS provisioning is not 32 bytes");
        }

        var manifestBytes = kms.Manifest.ToArray();
        var manifest = DecodeManifest(manifestBytes);
        return Load(request, manifest, manifestBytes, kms.ModuleHash.ToArray(), (module, measurement) =>
        {
            // A fresh receipt key per specialisation, attested once here; every invocation signs with it.
            var (entitlement, signer) = _kms.Attest(kms.Endpoint, kms.Namespace, kms.Function, measurement);
            var secrets = new List<KeyValuePair<string, byte[]>>();
            InvocationReceipts? receipts = null;
            try
            {
                receipts = new InvocationReceipts(kms.Namespace, kms.Function, measurement, signer);
                // Candidates for the image's key, best first: this image's own key, the function's, the namespace's.
                // None of them, nor the key of another image of the function, is handed to the guest.
                string[] candidates = manifest.Image is { } reference
                    ? [ActionManifest.ImageKeySecretOf(kms.Function, reference), ActionManifest.ImageKeySecretOf(kms.Function), ActionManifest.ImageKeySecret]
                    : [ActionManifest.ImageKeySecretOf(kms.Function), ActionManifest.ImageKeySecret];
                byte[]? imageKey = null;
                var rank = candidates.Length;
                foreach (var secret in entitlement.Secrets)
                {
                    if (!ActionManifest.IsImageKeySecret(secret.Name, kms.Function))
                    {
                        secrets.Add(new KeyValuePair<string, byte[]>(secret.Name, PinnedCopy(secret.Value)));
                        continue;
                    }

                    var candidate = Array.IndexOf(candidates, secret.Name);
                    if (candidate >= 0 && candidate < rank)
                    {
                        if (imageKey is not null)
                        {
                            CryptographicOperations.ZeroMemory(imageKey);
                        }

                        imageKey = PinnedCopy(secret.Value);
                        rank = candidate;
                    }
                }

                IFileSystem? image;
                try
                {
                    image = MountImage(manifest, request.ImagePath, imageKey);
                }
                finally
                {
                    if (imageKey is not null)
                    {
                        CryptographicOperations.ZeroMemory(imageKey);
                    }
                }

                // Sealed code is read only now, with the image key the KMS released for this measurement.
                var code = SealedModule(module.Engine, manifest, image) ?? module.Module;
                // The edge keys move to the function; the entitlement's secret copies are zeroed here.
                _function = new LoadedFunction(module.Engine, module.Linker, code, manifest, FunctionKeys.Entitled([.. entitlement.EdgeKeys]), secrets, image, receipts);
                DisposeStub(module.Module, code);
                return [];
            }
            catch
            {
                if (receipts is null)
                {
                    signer.Dispose();
                }
                else
                {
                    receipts.Dispose();
                }

                secrets.ForEach(s => CryptographicOperations.ZeroMemory(s.Value));
                foreach (var key in entitlement.EdgeKeys)
                {
                    key.Dispose();
                }

                throw;
            }
            finally
            {
                foreach (var secret in entitlement.Secrets)
                {
                    secret.Dispose();
                }
            }
        });
    }

    /// <summary>
    /// Loads and checks the module, computes the measurement and lets <paramref name="bind"/> attach keys to it;
    /// returns the specialised message with <paramref name="bind"/>'s confirmation.
    /// </summary>
    private SpecializedMessage Load(SpecializeMessage request, FunctionManifest manifest, byte[] manifestBytes, byte[] moduleHash,
        Func<(Engine Engine, Linker Linker, Module Module), byte[], byte[]> bind)
    {
        var (engine, linker, cache) = EngineFor(manifest.Fuel > 0);
        var watch = Stopwatch.StartNew();
        var (module, artifact) = LoadModule(engine, cache, request, moduleHash);
        var loadMicros = (long)watch.Elapsed.TotalMicroseconds;
        try
        {
            CheckImports(module);
            var measurement = Measurement.Compute(_runtimeIdentity, moduleHash, manifestBytes);
            var confirmation = bind((engine, linker, module), measurement);
            return new SpecializedMessage(measurement, confirmation, artifact, artifact.Length > 0, loadMicros);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    private static FunctionManifest DecodeManifest(byte[] encoded)
    {
        try
        {
            return FunctionManifest.Decode(encoded);
        }
        catch (FormatException e)
        {
            throw new SpecializationException(e.Message);
        }
    }

    /// <summary>Forgets the loaded function (warm-up only).</summary>
    internal void Unload()
    {
        _function?.Dispose();
        _function = null;
    }

    internal LoadedFunction? Function => _function;

    private (Engine Engine, Linker Linker, ModuleCache Cache) EngineFor(bool fuel)
    {
        if (!_engines.TryGetValue(fuel, out var entry))
        {
            var (engine, linker) = NewEngine(fuel);
            entry = AddEngine(fuel, engine, linker);
        }

        return entry;
    }

    private static (Engine Engine, Linker Linker) NewEngine(bool fuel)
    {
        var engine = EngineSettings.CreateEngine(fuel);
        var linker = new Linker(engine);
        WasiPreview1.Define(linker);
        return (engine, linker);
    }

    private (Engine Engine, Linker Linker, ModuleCache Cache) AddEngine(bool fuel, Engine engine, Linker linker)
    {
        var cache = new ModuleCache(_platform.DeriveSealingKey("module cache", _runtimeIdentity), _runtimeIdentity, EngineSettings.CacheDescription(fuel));
        _ticker.Add(engine);
        var entry = (engine, linker, cache);
        _engines[fuel] = entry;
        return entry;
    }

    private static (Module Module, byte[] NewArtifact) LoadModule(Engine engine, ModuleCache cache, SpecializeMessage request, byte[] moduleHash)
    {
        try
        {
            if (!request.CachedArtifact.IsEmpty)
            {
                if (!cache.TryUnwrap(request.CachedArtifact, moduleHash, out var serialized, out var problem))
                {
                    throw new SpecializationException(problem, FailureReason.CachedArtifact);
                }

                try
                {
                    return (Module.Deserialize(engine, "function", serialized.Span), []);
                }
                catch (WasmtimeException e)
                {
                    throw new SpecializationException("the cached artifact does not load in this runtime: " + e.Message.Split('\n')[0], FailureReason.CachedArtifact);
                }
            }

            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(request.Module.Span), moduleHash))
            {
                throw new SpecializationException("the module does not match the provisioned module hash (the host sent other code)");
            }

            var module = Module.FromBytes(engine, "function", request.Module.Span);
            return (module, cache.Wrap(moduleHash, module.Serialize()));
        }
        catch (WasmtimeException e)
        {
            throw new SpecializationException("the module is not valid WebAssembly for this runtime: " + e.Message.Split('\n')[0]);
        }
    }

    private static void CheckImports(Module module)
    {
        foreach (var import in module.Imports)
        {
            if (import.ModuleName != "wasi_snapshot_preview1")
            {
                throw new SpecializationException($"the module imports '{import.Name}' from '{import.ModuleName}'; Carapace provides only wasi_snapshot_preview1");
            }
        }
    }

    private static IFileSystem? MountImage(FunctionManifest manifest, string? path, byte[]? key)
    {
        if (manifest.Image is not { } image)
        {
            return null;
        }

        if (path is null || key is null)
        {
            throw new SpecializationException("the function is measured with an image, but no image (or no image key) was given");
        }

        try
        {
            // The cache of verified blocks may hold as much as the function's files may write (its tmp size, at most 64 MiB).
            return ShieldedImage.Mount(path, key, image.Root.Span, ShieldedImage.CacheBlocksFor(manifest.TmpBytes));
        }
        catch (IntegrityViolationException e)
        {
            throw new SpecializationException("integrity violation: " + e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageFormatException)
        {
            throw new SpecializationException("cannot mount the image: " + e.Message);
        }
    }

    /// <summary>
    /// The module of a function with sealed code (<see cref="SealedCode"/>), read from its mounted image, checked against
    /// the measured hash and compiled; null for a function whose code is the public module. The plaintext module is
    /// zeroed once compiled, and no compiled form of it leaves the enclave (the host caches only the public stub). On
    /// failure the image is disposed.
    /// </summary>
    private static Module? SealedModule(Engine engine, FunctionManifest manifest, IFileSystem? image)
    {
        if (manifest.SealedCodeHash is not { } expected)
        {
            return null;
        }

        byte[]? bytes = null;
        try
        {
            if (image is null)
            {
                throw new SpecializationException("the function's code is sealed in its image, but it has no image");
            }

            bytes = ReadSealedCode(image);
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), expected.Span))
            {
                throw new SpecializationException($"integrity violation: {SealedCode.PathInImage} in the image is not the measured module");
            }

            var module = Module.FromBytes(engine, "function", bytes);
            try
            {
                CheckImports(module);
            }
            catch
            {
                module.Dispose();
                throw;
            }

            return module;
        }
        catch (WasmtimeException e)
        {
            (image as IDisposable)?.Dispose();
            throw new SpecializationException("the sealed module is not valid WebAssembly for this runtime: " + e.Message.Split('\n')[0]);
        }
        catch
        {
            (image as IDisposable)?.Dispose();
            throw;
        }
        finally
        {
            if (bytes is not null)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
    }

    /// <summary>Disposes the public stub a sealed module replaced (nothing when the public module runs).</summary>
    private static void DisposeStub(Module loaded, Module running)
    {
        if (!ReferenceEquals(loaded, running))
        {
            loaded.Dispose();
        }
    }

    private static byte[] ReadSealedCode(IFileSystem image)
    {
        if (image.Open(SealedCode.PathInImage, OpenFlags.None, out var handle) != Wasi.Errno.Success || handle is null)
        {
            throw new SpecializationException($"the function's code is sealed in its image, but the image has no {SealedCode.PathInImage}");
        }

        using (handle)
        {
            if (handle.Length is <= 0 or > SealedCode.MaxModuleBytes)
            {
                throw new SpecializationException($"{SealedCode.PathInImage} in the image is empty or larger than {SealedCode.MaxModuleBytes >> 20} MiB");
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)handle.Length, pinned: true);
            var done = 0;
            try
            {
                while (done < bytes.Length)
                {
                    if (handle.Read(done, bytes.AsSpan(done), out var read) != Wasi.Errno.Success || read == 0)
                    {
                        throw new SpecializationException($"cannot read {SealedCode.PathInImage} from the image");
                    }

                    done += read;
                }
            }
            catch (IntegrityViolationException e)
            {
                CryptographicOperations.ZeroMemory(bytes);
                throw new SpecializationException("integrity violation: " + e.Message);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(bytes);
                throw;
            }

            return bytes;
        }
    }

    private static byte[] PinnedCopy(ReadOnlySpan<byte> value)
    {
        var copy = GC.AllocateUninitializedArray<byte>(value.Length, pinned: true);
        value.CopyTo(copy);
        return copy;
    }

    private static (MessageType, byte[]) Failure(string stage, string message, string? reason = null) =>
        (MessageType.Failure, new FailureMessage(stage, message, Fatal: false, reason).Encode());
}
