using Carapace.Controller.Storage;

namespace Carapace.Controller.Activations;

/// <summary>Retention: pruning finished activations by age and count, with their sealed blobs.</summary>
public sealed partial class ActivationStore
{
    /// <summary>Activations deleted per transaction, so that a large backlog never holds the write lock for long.</summary>
    public const int PruneBatch = 500;

    private ActivationPruner? _pruner;

    /// <summary>
    /// Deletes the finished activations <paramref name="retention"/> no longer keeps — started before now minus
    /// <see cref="ActivationRetention.MaxAge"/>, or older than the newest <see cref="ActivationRetention.MaxCount"/> —
    /// with their sealed output, receipts, sealed logs and links, in transactions of <see cref="PruneBatch"/>.
    /// Returns how many it deleted.
    /// </summary>
    /// <remarks>
    /// Pending activations stay (they still get their outcome), and so do the step claims: they are what makes a
    /// request id run at most once, forever (about 150 bytes per step). SQLite reuses the freed pages (PostgreSQL's
    /// autovacuum the freed rows), so the database stops growing rather than shrinking.
    /// </remarks>
    public int Prune(ActivationRetention retention, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(retention);
        if (!retention.Prunes)
        {
            return 0;
        }

        var cutoff = retention.MaxAge is { } age ? (_time.GetUtcNow() - age).ToUnixTimeMilliseconds() : (long?)null;
        var total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var connection = _db.Open();
            using var transaction = _db.BeginWrite(connection);
            long? lastKept = null;
            if (retention.MaxCount is { } max)
            {
                // The seq of the oldest activation the count keeps (null: fewer than that many).
                using var keep = StoreDatabase.Command(connection, "SELECT seq FROM activations ORDER BY seq DESC LIMIT 1 OFFSET @offset",
                    ("@offset", max - 1));
                lastKept = keep.ExecuteScalar() is long seq ? seq : null;
            }

            var ids = new List<string>();
            using (var select = StoreDatabase.Command(connection, """
                       SELECT activation_id FROM activations
                       WHERE status IS NOT NULL AND ((CAST(@cutoff AS BIGINT) IS NOT NULL AND start_ms < @cutoff) OR (CAST(@kept AS BIGINT) IS NOT NULL AND seq < @kept))
                       ORDER BY seq LIMIT @batch
                       """,
                       ("@cutoff", cutoff), ("@kept", lastKept), ("@batch", PruneBatch)))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    ids.Add(reader.GetString(0));
                }
            }

            if (ids.Count == 0)
            {
                break;
            }

            var names = string.Join(", ", ids.Select((_, i) => "@id" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var arguments = ids.Select((id, i) => ("@id" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object?)id)).ToArray();
            foreach (var table in (string[])["activation_logs", "activation_outputs", "activation_links", "activations"])
            {
                StoreDatabase.Execute(connection, $"DELETE FROM {table} WHERE activation_id IN ({names})", arguments);
            }

            transaction.Commit();
            total += ids.Count;
            if (ids.Count < PruneBatch)
            {
                break;
            }
        }

        return total;
    }

    /// <summary>
    /// Prunes with <paramref name="retention"/> now and then every <see cref="ActivationRetention.Interval"/> in the
    /// background until the store is disposed; <paramref name="pruned"/> hears of every pass that deleted something,
    /// <paramref name="failed"/> of every pass that failed (it is tried again at the next interval).
    /// </summary>
    /// <exception cref="InvalidOperationException">Retention was already started.</exception>
    public void StartRetention(ActivationRetention retention, Action<int>? pruned = null, Action<Exception>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(retention);
        if (!retention.Prunes)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _pruner, new ActivationPruner(this, retention, _time, pruned, failed), null) is not null)
        {
            throw new InvalidOperationException("retention is already running for this store");
        }

        _pruner.Start();
    }
}
