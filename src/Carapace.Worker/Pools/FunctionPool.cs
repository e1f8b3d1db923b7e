using System.Diagnostics;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;

namespace Carapace.Worker.Pools;

/// <summary>
/// The enclaves specialised for one function. An invocation takes an idle one (warm), or specialises a stem cell
/// (cold) while fewer than <see cref="FunctionDefinition.MaxInstances"/> exist, or waits for one to come free. An
/// enclave is recycled after <see cref="FunctionDefinition.MaxInvocationsPerEnclave"/> invocations (not while the KMS
/// is down: its replacement could not get keys) and replaced after a crash; a crash fails only the invocation it was running, with an <see cref="EnclaveException"/>.
/// </summary>
public sealed class FunctionPool : IAsyncDisposable
{
    /// <summary>The wait suggested after a KMS outage when no <see cref="IKmsLocator"/> knows better.</summary>
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(2);

    private readonly StemCellPool _cells;
    private readonly ModuleCacheStore? _cache;
    private readonly FunctionDefinition _definition;
    private readonly byte[] _moduleHash;
    private readonly Stack<EnclaveProcess> _idle = new();
    private readonly SemaphoreSlim _slots;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Creates the pool; enclaves are specialised on first use.</summary>
    public FunctionPool(StemCellPool cells, FunctionDefinition definition, ModuleCacheStore? cache = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentOutOfRangeException.ThrowIfLessThan(definition.MaxInstances, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(definition.MaxInvocationsPerEnclave, 1);
        if ((definition.Provision is null) == (definition.Kms is null))
        {
            throw new ArgumentException("a function definition needs exactly one of Provision and Kms", nameof(definition));
        }

        _cells = cells;
        _cache = cache;
        _definition = definition;
        _moduleHash = ModuleCacheStore.HashModule(definition.Module.Span);
        _slots = new SemaphoreSlim(definition.MaxInstances, definition.MaxInstances);
    }

    /// <summary>SHA-256 of the module.</summary>
    public ReadOnlyMemory<byte> ModuleHash => _moduleHash;

    /// <summary>Enclaves specialised so far (including recycled and crashed ones).</summary>
    public long Specializations { get; private set; }

    /// <summary>Runs the function once on <paramref name="sealedInput"/>.</summary>
    /// <exception cref="EnclaveException">The enclave refused to specialise, or was lost during the invocation.</exception>
    /// <exception cref="KmsUnavailableException">
    /// A new enclave was needed and the KMS is unavailable (known down, or the enclave could not get its keys from it);
    /// nothing ran. Idle enclaves already hold their keys and keep serving while the KMS is away.
    /// </exception>
    public async Task<InvocationOutcome> InvokeAsync(ReadOnlyMemory<byte> sealedInput, CancellationToken cancellationToken = default)
    {
        using var invoke = WorkerTelemetry.Stages.Start("invoke");
        using (WorkerTelemetry.Stages.Start("schedule"))
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        EnclaveProcess? enclave = null;
        try
        {
            long specializeMicros = 0;
            var cold = false;
            var prewarmed = false;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _idle.TryPop(out enclave);
            }

            if (enclave is null)
            {
                cold = true;
                using var specialize = WorkerTelemetry.Stages.Start("specialize");
                var watch = Stopwatch.StartNew();
                (enclave, prewarmed) = await SpecializeAsync(cancellationToken).ConfigureAwait(false);
                specializeMicros = (long)watch.Elapsed.TotalMicroseconds;
            }

            invoke.Activity?.SetTag("carapace.cold", cold);
            ResultMessage result;
            using (var lane = WorkerTelemetry.Stages.Start("lane"))
            {
                var laneTimer = Stopwatch.GetTimestamp();
                result = await enclave.InvokeAsync(sealedInput, cancellationToken).ConfigureAwait(false);
                WorkerTelemetry.ReportEnclave(result, lane.Activity?.StartTimeUtc ?? default, Stopwatch.GetElapsedTime(laneTimer));
            }

            invoke.Activity?.SetTag("carapace.status", result.Status.ToString());
            var outcome = new InvocationOutcome(result, cold, specializeMicros, prewarmed, enclave.ProcessId);
            // Recycled after its quota — unless the KMS is down, when its replacement could not get keys anyway.
            if (!enclave.IsLost && (enclave.Invocations < _definition.MaxInvocationsPerEnclave || _definition.Kms?.Locator is { IsAvailable: false }))
            {
                lock (_lock)
                {
                    if (!_disposed)
                    {
                        _idle.Push(enclave);
                        enclave = null;
                    }
                }
            }

            return outcome;
        }
        finally
        {
            if (enclave is not null)
            {
                await enclave.DisposeAsync().ConfigureAwait(false);
            }

            _slots.Release();
        }
    }

    /// <summary>Shuts every idle enclave down (they zero their memory and exit).</summary>
    public async ValueTask DisposeAsync()
    {
        EnclaveProcess[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (var enclave in idle)
        {
            await enclave.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<(EnclaveProcess Enclave, bool Prewarmed)> SpecializeAsync(CancellationToken cancellationToken)
    {
        // Asked before a stem cell is taken: a KMS known to be down fails the request at once and costs no cell.
        var kmsEndpoint = _definition.Kms is { } kms ? kms.Locator?.Locate() ?? kms.Endpoint : null;
        var (cell, prewarmed) = await _cells.TakeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The cell has been asleep in the pool: wake it now, so it polls while the provisioning is prepared.
            await cell.WakeAsync(cancellationToken).ConfigureAwait(false);
            var runtime = cell.Ready.RuntimeIdentity.ToArray();
            var cached = _cache?.TryGet(runtime, _moduleHash);
            using var session = _definition.Provision is { } provision ? await provision(cell.Ready, cancellationToken).ConfigureAwait(false) : null;
            SpecializedMessage specialized;
            try
            {
                try
                {
                    specialized = await cell.SpecializeAsync(Request(session, cached, kmsEndpoint), cancellationToken).ConfigureAwait(false);
                }
                catch (EnclaveException e) when (cached is not null && !e.EnclaveLost && e.Reason == FailureReason.CachedArtifact)
                {
                    // The enclave refused the cached artifact (modified, or from another runtime) and is still a stem
                    // cell: drop the entry, send the module. Any other refusal would only repeat after a compile.
                    _cache!.Remove(runtime, _moduleHash);
                    specialized = await cell.SpecializeAsync(Request(session, null, kmsEndpoint), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (EnclaveException e) when (!e.EnclaveLost && e.Reason == FailureReason.KmsUnavailable)
            {
                throw new KmsUnavailableException(e.Message.Replace("the enclave refused Specialize: ", "", StringComparison.Ordinal),
                    _definition.Kms?.Locator?.RetryAfter ?? DefaultRetryAfter, e);
            }

            // A provisioned enclave proves it received exactly what was sealed for it; a KMS-provisioned one proved its
            // measurement to the KMS, which released keys only for a measurement its policy names.
            if (session is not null && !session.Confirms(specialized))
            {
                throw new EnclaveException("the enclave's confirmation does not match what was provisioned", enclaveLost: true);
            }

            if (_cache is not null && specialized.NewArtifact.Length > 0)
            {
                // Best effort: a cache that cannot be written (a full disk) only costs the next cold start a compile.
                _cache.TryPut(runtime, _moduleHash, specialized.NewArtifact.Span);
            }

            Specializations++;
            return (cell, prewarmed);
        }
        catch
        {
            await cell.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private SpecializeMessage Request(IProvisioningSession? session, byte[]? cached, Uri? kmsEndpoint) =>
        new(session?.PublicKey ?? ReadOnlyMemory<byte>.Empty, session?.SealedProvisioning ?? ReadOnlyMemory<byte>.Empty,
            cached is null ? _definition.Module : ReadOnlyMemory<byte>.Empty,
            cached ?? ReadOnlyMemory<byte>.Empty,
            _definition.ImagePath)
        {
            Kms = _definition.Kms is { } kms ? new KmsProvisioning((kmsEndpoint ?? kms.Endpoint).AbsoluteUri, kms.Namespace, kms.Function, kms.Manifest, _moduleHash) : null,
        };
}
