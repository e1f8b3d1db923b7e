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

namespace Carapace.Enclave.Host;

/// <summary>
/// The enclave process's main loop, shared by both enclave programs (WASI and JavaScript; the engine is an
/// <see cref="IFunctionEngine"/>). At start it hashes its own runtime, prepares its engine, makes a fresh session
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
            return Load(request, manifest, payload.Manifest, payload.ModuleHash, (loaded, measurement) =>
            {
                var image = MountImage(manifest, request.ImagePath, payload.ImageKey);
                var code = SealedCodeOf(manifest, image) ?? loaded;
                // The function gets its own (pinned) copies of keys and secrets; the payload is zeroed on the way out.
                _function = new LoadedFunction(code, manifest,
                    FunctionKeys.Fixed(payload.Input.ToEdgeKey(), payload.Output.ToEdgeKey(), payload.Log.ToEdgeKey()),
                    [.. payload.Secrets.Select(s => new KeyValuePair<string, byte[]>(s.Key, PinnedCopy(s.Value)))], image);
                DisposeStub(loaded, code);
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
        return Load(request, manifest, manifestBytes, kms.ModuleHash.ToArray(), (loaded, measurement) =>
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
                var code = SealedCodeOf(manifest, image) ?? loaded;
                // The edge keys move to the function; the entitlement's secret copies are zeroed here.
                _function = new LoadedFunction(code, manifest, FunctionKeys.Entitled([.. entitlement.EdgeKeys]), secrets, image, receipts);
                DisposeStub(loaded, code);
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
    /// Loads and checks the code, computes the measurement and lets <paramref name="bind"/> attach keys to it;
    /// returns the specialised message with <paramref name="bind"/>'s confirmation.
    /// </summary>
    private SpecializedMessage Load(SpecializeMessage request, FunctionManifest manifest, byte[] manifestBytes, byte[] moduleHash,
        Func<IFunctionCode, byte[], byte[]> bind)
    {
        // The runtime identity differs between the two enclaves anyway; this says so before anything is loaded.
        if (EnclaveRuntime.For(manifest) != _engine.Runtime)
        {
            throw new SpecializationException(
                $"this is the {_engine.Runtime} enclave ({_engine.Runtime.Executable}); the function's manifest is for the {EnclaveRuntime.For(manifest)} enclave ({EnclaveRuntime.For(manifest).Executable})");
        }

        var watch = Stopwatch.StartNew();
        var (code, artifact) = _engine.Load(manifest, request, moduleHash);
        var loadMicros = (long)watch.Elapsed.TotalMicroseconds;
        try
        {
            var measurement = Measurement.Compute(_runtimeIdentity, moduleHash, manifestBytes);
            var confirmation = bind(code, measurement);
            return new SpecializedMessage(measurement, confirmation, artifact, artifact.Length > 0, loadMicros);
        }
        catch
        {
            code.Dispose();
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
            return ShieldedImage.Mount(path, key, image.Root.Span);
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
    /// The code of a function with sealed code (<see cref="SealedCode"/>), read from its mounted image, checked against
    /// the measured hash and loaded by the engine; null for a function whose code is the public one. The plaintext code
    /// is zeroed once loaded, and no compiled form of it leaves the enclave (the host caches only the public stub). On
    /// failure the image is disposed.
    /// </summary>
    private IFunctionCode? SealedCodeOf(FunctionManifest manifest, IFileSystem? image)
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

            bytes = ReadSealedCode(image, _engine.SealedCodePath);
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), expected.Span))
            {
                throw new SpecializationException($"integrity violation: {_engine.SealedCodePath} in the image is not the measured code");
            }

            return _engine.LoadSealed(manifest, bytes);
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

    /// <summary>Disposes the public stub sealed code replaced (nothing when the public code runs).</summary>
    private static void DisposeStub(IFunctionCode loaded, IFunctionCode running)
    {
        if (!ReferenceEquals(loaded, running))
        {
            loaded.Dispose();
        }
    }

    private static byte[] ReadSealedCode(IFileSystem image, string path)
    {
        if (image.Open(path, OpenFlags.None, out var handle) != Wasi.Errno.Success || handle is null)
        {
            throw new SpecializationException($"the function's code is sealed in its image, but the image has no {path}");
        }

        using (handle)
        {
            if (handle.Length is <= 0 or > SealedCode.MaxModuleBytes)
            {
                throw new SpecializationException($"{path} in the image is empty or larger than {SealedCode.MaxModuleBytes >> 20} MiB");
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)handle.Length, pinned: true);
            var done = 0;
            try
            {
                while (done < bytes.Length)
                {
                    if (handle.Read(done, bytes.AsSpan(done), out var read) != Wasi.Errno.Success || read == 0)
                    {
                        throw new SpecializationException($"cannot read {path} from the image");
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
