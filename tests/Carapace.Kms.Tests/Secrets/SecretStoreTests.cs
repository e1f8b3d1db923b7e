using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Kms.Secrets;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Secrets;

public sealed class SecretStoreTests : IDisposable
{
    private const string Marker = "MARKER-7f3a9c1e-do-not-store-in-clear";
    private readonly KmsFixture _kms = new();

    public SecretStoreTests()
    {
        var policy = _kms.Owners.Build() with
        {
            Secrets = [new() { Name = "db-password" }, new() { Name = "api-token" }],
        };
        _kms.Service.SetPolicy(_kms.Owners.Sign(policy, "alice"));
    }

    public void Dispose() => _kms.Dispose();

    private SecretStore Store => _kms.Service.Secrets;

    [Fact]
    public void Put_then_get_returns_the_value_with_increasing_versions()
    {
        var first = _kms.Service.PutSecret("acme", "db-password", "one"u8);
        var second = _kms.Service.PutSecret("acme", "db-password", "two"u8);

        using var newest = Store.Get("acme", "db-password")!;
        using var older = Store.Get("acme", "db-password", 1)!;

        Assert.Equal([1L, 2L], [first.Version, second.Version]);
        Assert.Equal("two", Encoding.UTF8.GetString(newest.Value));
        Assert.Equal("one", Encoding.UTF8.GetString(older.Value));
        Assert.Null(Store.Get("acme", "db-password", 3));
        Assert.Null(Store.Get("acme", "api-token"));
    }

    [Fact]
    public void List_gives_names_and_newest_versions_only()
    {
        _kms.Service.PutSecret("acme", "db-password", "one"u8);
        _kms.Service.PutSecret("acme", "db-password", "two"u8);
        _kms.Service.PutSecret("acme", "api-token", "t"u8);

        var list = _kms.Service.ListSecrets("acme");

        Assert.Equal(["api-token 1 1", "db-password 2 2"], list.Select(s => $"{s.Name} {s.Version} {s.LastWrite}"));
        Assert.Equal(_kms.Time.GetUtcNow(), list[0].CreatedAt);
    }

    [Fact]
    public void Delete_removes_every_version()
    {
        _kms.Service.PutSecret("acme", "db-password", "one"u8);
        _kms.Service.PutSecret("acme", "db-password", "two"u8);

        Assert.True(_kms.Service.DeleteSecret("acme", "db-password"));
        Assert.False(_kms.Service.DeleteSecret("acme", "db-password"));
        Assert.Null(Store.Get("acme", "db-password"));
        var entry = Assert.Single(_kms.Service.ListSecrets("acme"), e => e.Name == "db-password");
        Assert.Equal(((long?)null, 3L), (entry.Version, entry.LastWrite));
    }

    [Fact]
    public void Versions_continue_after_a_delete_so_a_write_number_is_never_reused()
    {
        _kms.Service.PutSecret("acme", "db-password", "one"u8);
        _kms.Service.DeleteSecret("acme", "db-password");

        var again = _kms.Service.PutSecret("acme", "db-password", "two"u8);

        Assert.Equal(3, again.Version);
        Assert.Null(Store.Get("acme", "db-password", 1));
    }

    [Fact]
    public void Values_must_be_1_to_64_KiB()
    {
        Assert.Throws<ArgumentException>(() => _kms.Service.PutSecret("acme", "db-password", []));
        Assert.Throws<ArgumentException>(() => _kms.Service.PutSecret("acme", "db-password", new byte[SecretStore.MaxValueBytes + 1]));
        _kms.Service.PutSecret("acme", "db-password", new byte[SecretStore.MaxValueBytes]);
    }

    [Fact]
    public void The_database_files_never_contain_a_value_in_the_clear()
    {
        _kms.Service.PutSecret("acme", "db-password", Encoding.UTF8.GetBytes(Marker));
        _kms.Service.PutSecret("acme", "db-password", Encoding.UTF8.GetBytes(Marker + "-v2"));
        _kms.Service.Dispose();

        var marker = Encoding.UTF8.GetBytes(Marker);
        var files = Directory.GetFiles(_kms.Dir.Kms);
        Assert.Contains(files, f => f.EndsWith("kms.db", StringComparison.Ordinal));
        foreach (var file in files)
        {
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(marker) < 0, $"{file} contains the secret in the clear");
        }
    }

    [Fact]
    public void A_flipped_ciphertext_byte_is_a_typed_tamper_error()
    {
        _kms.Service.PutSecret("acme", "db-password", Encoding.UTF8.GetBytes(Marker));
        RawSql.Execute(_kms.Dir.Database, "UPDATE secrets SET ciphertext = $c", ("$c", Flip(Row("ciphertext"))));

        var e = Assert.Throws<SecretStoreException>(() => Store.Get("acme", "db-password"));

        Assert.Equal(SecretStoreError.Tampered, e.Error);
        Assert.Contains("secret 'db-password' of namespace 'acme' (version 1) fails authentication", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("nonce")]
    public void A_flipped_tag_or_nonce_byte_is_a_typed_tamper_error(string column)
    {
        _kms.Service.PutSecret("acme", "db-password", "v"u8);
        RawSql.Execute(_kms.Dir.Database, $"UPDATE secrets SET {column} = $c", ("$c", Flip(Row(column))));

        Assert.Equal(SecretStoreError.Tampered, Assert.Throws<SecretStoreException>(() => Store.Get("acme", "db-password")).Error);
    }

    [Fact]
    public void A_row_moved_to_another_secret_or_version_fails_authentication()
    {
        _kms.Service.PutSecret("acme", "db-password", "p"u8);
        _kms.Service.PutSecret("acme", "api-token", "t"u8);
        _kms.Service.PutSecret("acme", "api-token", "t2"u8);
        RawSql.Execute(_kms.Dir.Database, "DELETE FROM secrets WHERE name = 'api-token' AND version = 1");
        RawSql.Execute(_kms.Dir.Database, "UPDATE secrets SET name = 'api-token', version = 1 WHERE name = 'db-password'");
        RawSql.Execute(_kms.Dir.Database, "UPDATE secrets SET version = 3 WHERE name = 'api-token' AND version = 2");

        Assert.Equal(SecretStoreError.Tampered, Assert.Throws<SecretStoreException>(() => Store.Get("acme", "api-token", 1)).Error);
        Assert.Equal(SecretStoreError.Tampered, Assert.Throws<SecretStoreException>(() => Store.Get("acme", "api-token", 3)).Error);
    }

    [Fact]
    public void A_column_of_the_wrong_type_is_a_typed_tamper_error()
    {
        _kms.Service.PutSecret("acme", "db-password", "v"u8);
        RawSql.Execute(_kms.Dir.Database, "UPDATE secrets SET tag = zeroblob(3)");

        Assert.Equal(SecretStoreError.Tampered, Assert.Throws<SecretStoreException>(() => Store.Get("acme", "db-password")).Error);
    }

    [Fact]
    public void Opening_the_store_with_another_master_key_is_a_typed_error()
    {
        _kms.Service.PutSecret("acme", "db-password", Encoding.UTF8.GetBytes(Marker));
        _kms.Service.Dispose();
        KeyFile.WriteSecret(Path.Combine(_kms.Dir.Kms, "master.key"), "carapace-kms-master-key-v1:", new byte[32], overwrite: true);

        var e = Assert.Throws<SecretStoreException>(() => _kms.Reopen());

        Assert.Equal(SecretStoreError.WrongMasterKey, e.Error);
        Assert.Contains("created under another KMS master key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_key_fingerprint_a_wrong_master_key_still_fails_with_a_typed_error()
    {
        _kms.Service.PutSecret("acme", "db-password", "v"u8);
        _kms.Service.Dispose();
        RawSql.Execute(_kms.Dir.Database, "DELETE FROM meta");
        using var database = new Carapace.Kms.Storage.KmsDatabase(_kms.Dir.Database);
        using var otherKey = Carapace.Kms.Keys.KmsMasterKey.FromBytes(new byte[32]);
        var audit = new Carapace.Kms.Audit.AuditLog(database, new byte[32], _kms.Time);
        var store = new SecretStore(database, otherKey, audit, _kms.Time);

        Assert.Equal(SecretStoreError.Tampered, Assert.Throws<SecretStoreException>(() => store.Get("acme", "db-password")).Error);
    }

    [Fact]
    public void Puts_and_deletes_are_audited_without_values()
    {
        _kms.Service.PutSecret("acme", "db-password", Encoding.UTF8.GetBytes(Marker));
        _kms.Service.DeleteSecret("acme", "db-password");

        var records = _kms.Service.Audit.Read().Skip(1).ToList();

        Assert.Equal([Carapace.Kms.Audit.AuditKind.SecretPut, Carapace.Kms.Audit.AuditKind.SecretDeleted], records.Select(r => r.Kind));
        Assert.Equal("db-password", records[0].Subject);
        Assert.Equal("{\"version\":1}", records[0].Details);
    }

    private byte[] Row(string column) =>
        Convert.FromHexString(RawSql.Dump(_kms.Dir.Database, "secrets")[0].Split('|')[column switch { "nonce" => 4, "ciphertext" => 5, _ => 6 }]);

    private static byte[] Flip(byte[] bytes)
    {
        bytes[0] ^= 1;
        return bytes;
    }
}
