using System.Net;
using System.Text;
using Carapace.Attestation.Simulation;
using Carapace.Kms.Client;
using Carapace.Kms.Server;
using Carapace.Kms.Tests.Support;
using Microsoft.Data.Sqlite;
using Carapace.Attestation.Tee;

namespace Carapace.Kms.Tests.Server;

/// <summary>
/// The KMS's health probe, and the KMS on a full disk: every write it cannot record is a <c>507 StorageFull</c> that says
/// so (never a 500), nothing is half-written, and once space is back it serves again with an intact audit log and database.
/// </summary>
public sealed class HealthAndStorageTests
{
    [Fact]
    public async Task The_health_probe_answers_ok_over_attested_tls()
    {
        await using var kms = await ServerFixture.StartAsync();

        await kms.Client.CheckHealthAsync();
        using var raw = kms.RawClient();
        using var response = await raw.GetAsync("v1/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [SmallDiskFact]
    public async Task On_a_full_disk_writes_are_refused_as_storage_full_and_the_kms_recovers_intact_when_space_returns()
    {
        using var disk = SmallDisk.Mount(16);
        var sim = Path.Combine(disk.Path, "sim");
        using var owners = new Policies();
        using var log = new LogCapture();
        KmsRequestException? refused = null;
        int version;
        await using (var server = await KmsServer.StartAsync(new KmsServerOptions { DataDirectory = disk.Path, Tee = TeeBackend.Simulation(sim), LoggerFactory = log }))
        using (var client = new KmsClient(server.Endpoint, KmsServerTrust.Simulation(server.QuotingKey)))
        using (var quoting = SimulatedQuotingService.OpenOrCreate(sim))
        {
            await client.SetPolicyAsync(owners.Sign(owners.Build(allowSimulation: true), "alice"));
            await client.PutSecretAsync("acme", "db-password", "before"u8.ToArray(), owners.Owner("alice"), "alice");
            Assert.True(disk.Fill() > 0);

            // SQLite reuses pages it already has, so a few writes may still fit: write until one needs a new page.
            for (version = 2; version <= 500 && refused is null; version++)
            {
                try
                {
                    await client.PutSecretAsync("acme", "db-password", Encoding.UTF8.GetBytes($"value {version} " + new string('x', 2000)), owners.Owner("alice"), "alice");
                }
                catch (KmsRequestException e)
                {
                    refused = e;
                }
            }

            Assert.NotNull(refused);
            Assert.True(refused.StatusCode == HttpStatusCode.InsufficientStorage, $"{refused.StatusCode} {refused.Reason}: {refused.Message}\n{ServerErrors(log)}");
            Assert.Equal("StorageFull", refused.Reason);
            Assert.Contains("disk is full", refused.Message, StringComparison.Ordinal);
            Assert.Contains("nothing was changed", refused.Message, StringComparison.Ordinal);

            // A key release is audited before it is made: once its audit record no longer fits (it is smaller than a
            // secret, so a few may still find room in pages SQLite has), it cannot happen either, and says why.
            KmsRequestException? release = null;
            for (var attempt = 0; attempt < 500 && release is null; attempt++)
            {
                try
                {
                    using var released = await client.AttestAndReleaseAsync("acme", "f", new SimulatedEvidenceIssuer(quoting, Convert.FromHexString(Policies.SimHash)));
                }
                catch (KmsRequestException e)
                {
                    release = e;
                }
            }

            Assert.NotNull(release);
            Assert.True(release.StatusCode == HttpStatusCode.InsufficientStorage, $"{release.StatusCode} {release.Reason}: {release.Message}\n{ServerErrors(log)}");

            disk.Free();
            var stored = await client.PutSecretAsync("acme", "db-password", "after"u8.ToArray(), owners.Owner("alice"), "alice");
            Assert.Equal(version - 1, stored.Version);
            using (await client.AttestAndReleaseAsync("acme", "f", new SimulatedEvidenceIssuer(quoting, Convert.FromHexString(Policies.SimHash))))
            {
            }

            var audit = await client.VerifyAuditAsync("acme", owners.Owner("alice"), "alice");
            Assert.True(audit.IsIntact, audit.Message);
        }

        Assert.Equal("ok", IntegrityCheck(Path.Combine(disk.Path, "kms", "kms.db")));
    }

    /// <summary>What the KMS logged at warning level or above (its exceptions), to explain an unexpected answer.</summary>
    private static string ServerErrors(LogCapture log) =>
        string.Join("\n", log.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)));

    [Fact]
    public void A_WAL_index_that_cannot_grow_counts_as_a_full_disk_and_other_IO_errors_do_not()
    {
        // What a read meets on a disk that filled while the write-ahead log grew (SQLITE_IOERR_SHMSIZE).
        Assert.True(Storage.StorageFull.IsCause(new SqliteException("disk I/O error", 10, 10 | (19 << 8))));
        Assert.True(Storage.StorageFull.IsCause(new InvalidOperationException("outer", new SqliteException("database or disk is full", 13, 13))));
        Assert.False(Storage.StorageFull.IsCause(new SqliteException("disk I/O error", 10, 10 | (3 << 8))));
    }

    private static string IntegrityCheck(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
