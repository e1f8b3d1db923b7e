using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Kms.Audit;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Storage;
using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Policy;

/// <summary>
/// Keeps every accepted version of every namespace's policy (SQLite table <c>policies</c>) and enforces the update
/// rules of Palaemon's approval board:
/// <list type="bullet">
/// <item>the first policy of a namespace must carry at least its own <c>approvals</c> valid signatures by its own owners;</item>
/// <item>each later one must have a higher version and at least <c>approvals</c> valid signatures by the owners of the
/// <b>current</b> policy — so a change of owners needs the old owners' consent;</item>
/// <item>an older or equal version never replaces a newer one (rollback rejected);</item>
/// <item>signatures by unknown signers and invalid signatures do not count, and are reported.</item>
/// </list>
/// Every acceptance and rejection is written to the audit log; an acceptance in the same transaction as the policy.
/// </summary>
/// <remarks>
/// Stored rows carry an HMAC under a key derived from the KMS master key, checked on load, so a policy inserted or
/// edited in the database directly is refused. Deleting the newest rows of a namespace (a storage rollback) is not
/// detected here; the audit log's <c>PolicyUpdated</c> records show it. One KMS process owns a database.
/// </remarks>
public sealed class PolicyStore
{
    private static readonly byte[] s_macLabel = Encoding.ASCII.GetBytes("carapace/kms/policy-row/v1");

    private readonly KmsDatabase _database;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly byte[] _macKey;
    private readonly ConcurrentDictionary<string, StoredPolicy> _current = new(StringComparer.Ordinal);
    private readonly Lock _updateLock = new();

    internal PolicyStore(KmsDatabase database, AuditLog audit, ReadOnlySpan<byte> macKey, TimeProvider time)
    {
        _database = database;
        _audit = audit;
        _macKey = macKey.ToArray();
        _time = time;
    }

    /// <summary>
    /// Accepts a signed policy document (see <see cref="SignedPolicy"/>) if it is well-formed, valid, newer than the
    /// namespace's current policy and approved by enough owners.
    /// </summary>
    /// <exception cref="PolicyException">Rejected; <see cref="PolicyException.Errors"/> lists every reason, including
    /// signatures that did not count.</exception>
    /// <exception cref="InvalidDataException">The audit log's anchor is damaged, so nothing can be recorded.</exception>
    public PolicyUpdate Apply(ReadOnlySpan<byte> signedDocument)
    {
        SignedPolicy document;
        KmsPolicy policy;
        try
        {
            document = SignedPolicy.Parse(signedDocument);
            policy = KmsPolicy.Parse(document.PolicyText);
        }
        catch (PolicyException e)
        {
            Reject(NamespaceHint(signedDocument), "policy", e, hash: null);
            throw;
        }

        var policyHash = Convert.ToHexStringLower(SHA256.HashData(document.SignedBytes()));
        var subject = $"policy v{policy.Version}";
        lock (_updateLock)
        {
            using var connection = _database.Open();
            using var transaction = connection.BeginTransaction();
            var current = Load(connection, transaction, policy.Namespace, latestOnly: true).FirstOrDefault();
            var errors = new List<string>();
            var reason = PolicyRejection.InsufficientApprovals;
            if (current is not null && policy.Version <= current.Policy.Version)
            {
                reason = PolicyRejection.Rollback;
                errors.Add(policy.Version == current.Policy.Version
                    ? $"namespace '{policy.Namespace}' already has version {current.Policy.Version}; a new policy needs a higher version"
                    : $"version {policy.Version} is older than the current version {current.Policy.Version} of namespace '{policy.Namespace}'; rollback refused");
            }

            var board = current?.Policy ?? policy;
            var (approvedBy, ignored) = PolicyApprovals.Check(document, board.Owners);
            if (approvedBy.Count < board.Approvals)
            {
                errors.Add(current is null
                    ? $"the first policy of namespace '{policy.Namespace}' needs {board.Approvals} valid signature(s) by its own owners; it has {approvedBy.Count}"
                    : $"namespace '{policy.Namespace}' version {current.Policy.Version} requires {board.Approvals} valid signature(s) by its owners "
                      + $"({string.Join(", ", board.Owners.Select(o => o.Id))}) for an update; this one has {approvedBy.Count}");
                errors.AddRange(ignored);
            }

            if (errors.Count > 0)
            {
                transaction.Rollback();
                var rejection = new PolicyException(reason, errors);
                Reject(policy.Namespace, subject, rejection, policyHash);
                throw rejection;
            }

            var acceptedAt = _time.GetUtcNow();
            var raw = signedDocument.ToArray();
            using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO policies (namespace, version, document, approved_by, accepted_at, mac)
                    VALUES ($ns, $version, $document, $approved, $at, $mac)
                    """;
                insert.Parameters.AddWithValue("$ns", policy.Namespace);
                insert.Parameters.AddWithValue("$version", unchecked((long)policy.Version));
                insert.Parameters.AddWithValue("$document", raw);
                insert.Parameters.AddWithValue("$approved", JsonSerializer.Serialize(approvedBy));
                insert.Parameters.AddWithValue("$at", acceptedAt.UtcTicks);
                insert.Parameters.AddWithValue("$mac", RowMac(policy.Namespace, policy.Version, raw, approvedBy, acceptedAt.UtcTicks));
                insert.ExecuteNonQuery();
            }

            _audit.Append(connection, transaction, AuditKind.PolicyUpdated, policy.Namespace, subject, new AuditDetails()
                .Add("version", unchecked((long)policy.Version))
                .Add("previousVersion", current is null ? null : current.Policy.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add("policySha256", policyHash)
                .Add("approvedBy", approvedBy)
                .Add("ignored", ignored));
            transaction.Commit();

            _current[policy.Namespace] = new StoredPolicy
            {
                Policy = policy,
                Document = document,
                ApprovedBy = approvedBy,
                AcceptedAt = acceptedAt,
                PolicyHash = policyHash,
            };
            return new PolicyUpdate
            {
                Namespace = policy.Namespace,
                Version = policy.Version,
                PreviousVersion = current?.Policy.Version,
                ApprovedBy = approvedBy,
                Ignored = ignored,
                PolicyHash = policyHash,
            };
        }
    }

    /// <summary>The current policy of <paramref name="ns"/>, or null when it has none.</summary>
    /// <exception cref="PolicyException">With <see cref="PolicyRejection.Tampered"/>: the stored row was modified outside the KMS.</exception>
    public StoredPolicy? Current(string ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        if (_current.TryGetValue(ns, out var cached))
        {
            return cached;
        }

        using var connection = _database.Open();
        var loaded = Load(connection, null, ns, latestOnly: true).FirstOrDefault();
        return loaded is null ? null : _current.GetOrAdd(ns, loaded);
    }

    /// <summary>Every accepted version of <paramref name="ns"/>, oldest first.</summary>
    /// <exception cref="PolicyException">With <see cref="PolicyRejection.Tampered"/>: a stored row was modified outside the KMS.</exception>
    public IReadOnlyList<StoredPolicy> History(string ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        using var connection = _database.Open();
        return Load(connection, null, ns, latestOnly: false);
    }

    /// <summary>The namespaces that have a policy.</summary>
    public IReadOnlyList<string> Namespaces()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT namespace FROM policies ORDER BY namespace";
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            if (SqliteValues.Text(reader, 0) is { } ns)
            {
                result.Add(ns);
            }
        }

        return result;
    }

    private List<StoredPolicy> Load(SqliteConnection connection, SqliteTransaction? transaction, string ns, bool latestOnly)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, document, approved_by, accepted_at, mac FROM policies WHERE namespace = $ns ORDER BY version "
            + (latestOnly ? "DESC LIMIT 1" : "ASC");
        command.Parameters.AddWithValue("$ns", ns);
        using var reader = command.ExecuteReader();
        var result = new List<StoredPolicy>();
        while (reader.Read())
        {
            result.Add(Row(ns, reader));
        }

        return result;
    }

    private StoredPolicy Row(string ns, SqliteDataReader reader)
    {
        var version = SqliteValues.Integer(reader, 0);
        var tampered = new PolicyException(PolicyRejection.Tampered,
            [$"the stored policy of namespace '{ns}' version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} "
             + "fails its integrity check: the KMS database was modified outside the KMS; restore it from a backup"]);
        if (version is not { } v || SqliteValues.Blob(reader, 1) is not { } raw || SqliteValues.Text(reader, 2) is not { } approvedText
            || SqliteValues.Integer(reader, 3) is not { } at || SqliteValues.Blob(reader, 4) is not { } mac)
        {
            throw tampered;
        }

        List<string>? approvedBy;
        try
        {
            approvedBy = JsonSerializer.Deserialize<List<string>>(approvedText);
        }
        catch (JsonException)
        {
            approvedBy = null;
        }

        if (approvedBy is null || at < DateTimeOffset.MinValue.UtcTicks || at > DateTimeOffset.MaxValue.UtcTicks
            || !CryptographicOperations.FixedTimeEquals(mac, RowMac(ns, unchecked((ulong)v), raw, approvedBy, at)))
        {
            throw tampered;
        }

        var document = SignedPolicy.Parse(raw);
        var policy = KmsPolicy.Parse(document.PolicyText);
        return new StoredPolicy
        {
            Policy = policy,
            Document = document,
            ApprovedBy = approvedBy,
            AcceptedAt = new DateTimeOffset(at, TimeSpan.Zero),
            PolicyHash = Convert.ToHexStringLower(SHA256.HashData(document.SignedBytes())),
        };
    }

    private byte[] RowMac(string ns, ulong version, ReadOnlySpan<byte> document, IReadOnlyList<string> approvedBy, long acceptedAt)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _macKey);
        Span<byte> number = stackalloc byte[8];
        AppendField(mac, s_macLabel);
        AppendField(mac, Encoding.UTF8.GetBytes(ns));
        BinaryPrimitives.WriteUInt64BigEndian(number, version);
        mac.AppendData(number);
        AppendField(mac, document);
        AppendField(mac, Encoding.UTF8.GetBytes(string.Join("\n", approvedBy)));
        BinaryPrimitives.WriteInt64BigEndian(number, acceptedAt);
        mac.AppendData(number);
        return mac.GetHashAndReset();
    }

    private static void AppendField(IncrementalHash mac, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
        mac.AppendData(length);
        mac.AppendData(bytes);
    }

    private void Reject(string ns, string subject, PolicyException e, string? hash) =>
        _audit.Append(AuditKind.PolicyRejected, ns, subject, new AuditDetails()
            .Add("reason", e.Reason.ToString())
            .Add("policySha256", hash)
            .Add("errors", e.Errors));

    /// <summary>The namespace a rejected document names, if one can be read from it; for the audit record only.</summary>
    private static string NamespaceHint(ReadOnlySpan<byte> signedDocument)
    {
        if (signedDocument.Length > SignedPolicy.MaxBytes)
        {
            return "";
        }

        try
        {
            using var outer = JsonDocument.Parse(signedDocument.ToArray());
            if (outer.RootElement.ValueKind == JsonValueKind.Object && outer.RootElement.TryGetProperty("policy", out var text)
                && text.ValueKind == JsonValueKind.String)
            {
                using var inner = JsonDocument.Parse(text.GetString()!);
                if (inner.RootElement.ValueKind == JsonValueKind.Object && inner.RootElement.TryGetProperty("namespace", out var ns)
                    && ns.ValueKind == JsonValueKind.String && PolicyNames.IsValid(ns.GetString()))
                {
                    return ns.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
        }

        return "";
    }
}
