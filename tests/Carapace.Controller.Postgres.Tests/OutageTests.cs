using Carapace.Controller.Activations;
using Carapace.Controller.Postgres.Tests.Support;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Postgres.Tests;

/// <summary>
/// A PostgreSQL server that stops or restarts under the stores: calls fail with a typed error within the connect
/// timeout (the gateway's 503), never hang, and work again by themselves once the server is back. Each test runs its
/// own server, since it stops it.
/// </summary>
public sealed class OutageTests : IDisposable
{
    private readonly PostgresServer _server = PostgresServer.Start();

    public void Dispose() => _server.Dispose();

    private static ActivationStart Start() => new()
    {
        Action = ActionName.Of("guest", "hello"),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
    };

    [Fact]
    public void While_the_server_is_down_calls_fail_as_unavailable_and_after_a_restart_they_work_again()
    {
        using var backend = new PostgresBackend(_server);
        using var store = backend.Activations(TimeProvider.System);
        var before = store.Start(Start());

        _server.Stop();

        // The first call may meet a pooled connection the server closed; from then on no connection can be opened.
        for (var i = 0; i < 3; i++)
        {
            var e = Assert.ThrowsAny<Exception>(() => store.Get(before.ActivationId));
            Assert.True(StoreUnavailableException.IsCause(e), $"call {i}: {e.GetType().Name}: {e.Message}");
        }

        var unavailable = Assert.Throws<StoreUnavailableException>(() => store.Start(Start()));
        Assert.Contains("cannot be reached", unavailable.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{_server.Port}", unavailable.Message, StringComparison.Ordinal);

        _server.Resume();

        // Bounded: the pool drops the connections the restart broke; each failure must still be the typed one.
        ActivationRecord? after = null;
        for (var attempt = 0; attempt < 10 && after is null; attempt++)
        {
            try
            {
                after = store.Start(Start());
            }
            catch (Exception e) when (StoreUnavailableException.IsCause(e))
            {
            }
        }

        Assert.NotNull(after);
        Assert.Equal(before.ActivationId, store.Get(before.ActivationId)!.ActivationId);
        Assert.Equal(2, store.Count("guest", null, 0));
    }

    [Fact]
    public void A_node_that_starts_while_the_server_is_down_is_told_so()
    {
        var connectionString = _server.ConnectionString();
        _server.Stop();

        var e = Assert.Throws<StoreUnavailableException>(() => PostgresStoreDatabase.Open(connectionString));

        Assert.Contains("cannot be reached", e.Message, StringComparison.Ordinal);
    }
}
