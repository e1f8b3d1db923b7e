using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Contracts;

/// <summary>
/// What every activation-store contract starts from: an <see cref="ActivationStore"/> on the backend under test, a
/// clock the test moves, and the activation of a plain <c>guest/hello</c> that each contract adapts with <c>with</c>.
/// </summary>
public abstract class ActivationContract : IDisposable
{
    /// <summary>The start of an activation of <c>guest/hello</c> 0.0.1, default limits, confidential, not part of a chain.</summary>
    protected static readonly ActivationStart Hello = new()
    {
        Action = ActionName.Of("guest", "hello"),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
    };

    protected ActivationContract(StoreBackend backend, DateTimeOffset? now = null)
    {
        Backend = backend;
        Time = new FakeTimeProvider(now ?? new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        Store = backend.Activations(Time);
    }

    protected StoreBackend Backend { get; }

    protected FakeTimeProvider Time { get; }

    protected ActivationStore Store { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the store, then the backend; a contract with more to release overrides it and calls the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Store.Dispose();
            Backend.Dispose();
        }
    }
}
