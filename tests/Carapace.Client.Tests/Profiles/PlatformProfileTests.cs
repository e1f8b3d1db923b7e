using System.Text.Json;
using Carapace.Client.Profiles;
using Carapace.Client.Tests.Support;
using Carapace.Gateway.Tls;

namespace Carapace.Client.Tests.Profiles;

public sealed class PlatformProfileTests : IDisposable
{
    private const string Key = "K3yThatMustNeverAppearInMessages0123456789abcdefghijklmnopqrstuv";
    private static readonly string s_fingerprint = new('c', 64);
    private readonly string _dataDir = PlatformFixture.NewDirectory();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Save_writes_the_contract_fields_in_order_owner_only_and_Load_reads_them_back()
    {
        Full().Save(_dataDir);
        var path = PlatformProfile.PathIn(_dataDir);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dataDir));
        using (var json = JsonDocument.Parse(File.ReadAllBytes(path)))
        {
            Assert.Equal(["gateway", "caFingerprint", "namespace", "auth", "kms", "ownerKey", "ownerId", "clientKey", "clientId"],
                json.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(["url", "measurement", "quotingKey"], json.RootElement.GetProperty("kms").EnumerateObject().Select(p => p.Name));
            Assert.Equal("https://127.0.0.1:8443/", json.RootElement.GetProperty("gateway").GetString());
        }

        var loaded = PlatformProfile.Load(_dataDir);
        Assert.Equal(new Uri("https://127.0.0.1:8443/"), loaded.Gateway);
        Assert.Equal(s_fingerprint, loaded.CaFingerprint);
        Assert.Equal(("guest", "uuid:" + Key), (loaded.Namespace, loaded.Auth));
        Assert.Equal(new PlatformKms("https://127.0.0.1:9443/", "ab", "cd"), loaded.Kms);
        Assert.Equal(Path.Combine(Path.GetFullPath(_dataDir), "owner.key"), loaded.OwnerKeyPath);
        Assert.Equal(Path.Combine(Path.GetFullPath(_dataDir), "client.key"), loaded.ClientKeyPath);
        Assert.Equal(("owner", "cli"), (loaded.OwnerId, loaded.ClientId));
        Assert.Equal(PlatformProfile.CaCertificatePathIn(_dataDir), loaded.CaCertificatePath);
        Assert.Equal(path, loaded.Source);
    }

    [Fact]
    public void Save_replaces_the_file_atomically_and_leaves_no_temporary_files()
    {
        Full().Save(_dataDir);
        new PlatformProfile { Gateway = new Uri("https://localhost:1"), CaFingerprint = s_fingerprint, Namespace = "other", Auth = "a:b" }.Save(_dataDir);

        Assert.Equal([PlatformProfile.FileName], Directory.GetFiles(_dataDir).Select(Path.GetFileName));
        var loaded = PlatformProfile.Load(_dataDir);
        Assert.Equal("other", loaded.Namespace);
        Assert.Equal(new Uri("https://localhost:1/"), loaded.Gateway);
        Assert.Null(loaded.Kms);
        Assert.Null(loaded.OwnerKeyPath);
    }

    [Fact]
    public void A_missing_profile_says_no_platform_runs_and_how_to_start_one()
    {
        var error = Assert.Throws<PlatformProfileException>(() => PlatformProfile.Load(_dataDir));
        Assert.StartsWith($"no platform is running for data dir {_dataDir}; start one with 'carapace up'", error.Message);
    }

    [Fact]
    public void A_profile_readable_by_others_is_refused()
    {
        Full().Save(_dataDir);
        File.SetUnixFileMode(PlatformProfile.PathIn(_dataDir), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<PlatformProfileException>(() => PlatformProfile.Load(_dataDir));
        Assert.Contains("chmod 600", error.Message);
    }

    [Fact]
    public void A_damaged_profile_lists_every_problem_without_showing_the_key()
    {
        Directory.CreateDirectory(_dataDir);
        var path = PlatformProfile.PathIn(_dataDir);
        File.WriteAllText(path, $$"""{"gateway": "http://127.0.0.1:1/", "caFingerprint": "xyz", "auth": "{{Key}}"}""");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var error = Assert.Throws<PlatformProfileException>(() => PlatformProfile.Load(_dataDir));
        Assert.Contains("'gateway' must be the gateway's https:// base address", error.Message);
        Assert.Contains("'caFingerprint' must be 64 hexadecimal digits", error.Message);
        Assert.Contains("'namespace' is missing", error.Message);
        Assert.Contains("'auth' must be uuid:key", error.Message);
        Assert.DoesNotContain(Key, error.Message);

        File.WriteAllText(path, "{\"auth\": \"uuid:" + Key + "\",");
        var notJson = Assert.Throws<PlatformProfileException>(() => PlatformProfile.Load(_dataDir));
        Assert.Contains("is damaged: it is not JSON", notJson.Message);
        Assert.DoesNotContain(Key, notJson.Message);
    }

    [Fact]
    public void A_confidential_VM_platform_s_profile_names_its_TEE_configuration_and_no_quoting_key()
    {
        var profile = Full();
        new PlatformProfile
        {
            Gateway = profile.Gateway,
            CaFingerprint = profile.CaFingerprint,
            Namespace = profile.Namespace,
            Auth = profile.Auth,
            Kms = new PlatformKms("https://127.0.0.1:9443/", "ab", ""),
            TeeConfig = "tee.json",
        }.Save(_dataDir);
        var path = PlatformProfile.PathIn(_dataDir);

        using (var json = JsonDocument.Parse(File.ReadAllBytes(path)))
        {
            Assert.Equal(["url", "measurement"], json.RootElement.GetProperty("kms").EnumerateObject().Select(p => p.Name));
            Assert.Equal("tee.json", json.RootElement.GetProperty("teeConfig").GetString());
        }

        var loaded = PlatformProfile.Load(_dataDir);
        Assert.Equal(new PlatformKms("https://127.0.0.1:9443/", "ab", ""), loaded.Kms);
        Assert.Equal(Path.Combine(Path.GetFullPath(_dataDir), "tee.json"), loaded.TeeConfigPath);

        // A simulated platform's KMS is only trusted by its quoting key: a profile without one is damaged.
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"teeConfig\": \"tee.json\"", "\"clientId\": \"cli\"", StringComparison.Ordinal));
        var error = Assert.Throws<PlatformProfileException>(() => PlatformProfile.Load(_dataDir));
        Assert.Contains("'kms.quotingKey' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_never_shows_the_key()
    {
        var text = Full().ToString();
        Assert.DoesNotContain(Key, text);
        Assert.Contains("127.0.0.1:8443", text);
    }

    [Fact]
    public void The_environment_describes_a_gateway_in_the_callers_own_namespace()
    {
        var profile = PlatformProfile.FromEnvironment(Env(new()
        {
            ["CARAPACE_URL"] = "https://gw.example:8443",
            ["CARAPACE_AUTH"] = "uuid:" + Key,
            ["CARAPACE_CA_FINGERPRINT"] = s_fingerprint.ToUpperInvariant(),
        }), _dataDir)!;

        Assert.Equal(new Uri("https://gw.example:8443/"), profile.Gateway);
        Assert.Equal(s_fingerprint, profile.CaFingerprint);
        Assert.Equal("_", profile.Namespace);
        Assert.Equal("uuid:" + Key, profile.Auth);
        Assert.Null(profile.CaCertificatePath);
        Assert.Null(PlatformProfile.FromEnvironment(Env([]), _dataDir));
    }

    [Fact]
    public void Without_a_fingerprint_variable_the_data_dir_CA_certificate_is_the_pin()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        var profile = PlatformProfile.FromEnvironment(Env(new() { ["CARAPACE_URL"] = "https://127.0.0.1:1/", ["CARAPACE_AUTH"] = "a:b" }), _dataDir)!;

        Assert.Equal(ca.Fingerprint, profile.CaFingerprint);
        Assert.Equal(PlatformProfile.CaCertificatePathIn(_dataDir), profile.CaCertificatePath);
    }

    [Fact]
    public void Incomplete_variables_list_every_problem()
    {
        var error = Assert.Throws<PlatformProfileException>(() =>
            PlatformProfile.FromEnvironment(Env(new() { ["CARAPACE_URL"] = "http://127.0.0.1:1/" }), _dataDir));

        Assert.Contains("CARAPACE_URL must be the gateway's https:// base address", error.Message);
        Assert.Contains("CARAPACE_AUTH is not", error.Message);
        Assert.Contains("CARAPACE_CA_FINGERPRINT is not set", error.Message);
    }

    [Fact]
    public void Resolve_prefers_an_explicit_data_dir_then_the_environment()
    {
        Full().Save(_dataDir);
        var env = Env(new() { ["CARAPACE_URL"] = "https://gw.example/", ["CARAPACE_AUTH"] = "a:b", ["CARAPACE_CA_FINGERPRINT"] = s_fingerprint });

        Assert.Equal("guest", PlatformProfile.Resolve(_dataDir, env).Namespace);
        Assert.Equal(new Uri("https://gw.example/"), PlatformProfile.Resolve(null, env).Gateway);
    }

    [Fact]
    public void The_default_data_dir_is_CarapaceHome()
    {
        Assert.Equal(Carapace.Envelope.Keys.CarapaceHome.Directory, PlatformProfile.DefaultDataDirectory);
    }

    private static PlatformProfile Full() => new()
    {
        Gateway = new Uri("https://127.0.0.1:8443/"),
        CaFingerprint = s_fingerprint,
        Namespace = "guest",
        Auth = "uuid:" + Key,
        Kms = new PlatformKms("https://127.0.0.1:9443/", "ab", "cd"),
        OwnerKey = "owner.key",
        OwnerId = "owner",
        ClientKey = "client.key",
        ClientId = "cli",
    };

    private static Func<string, string?> Env(Dictionary<string, string> variables) => name => variables.GetValueOrDefault(name);
}
