using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Carapace.Envelope.Keys;

namespace Carapace.Client.Profiles;

/// <summary>
/// How a client reaches a running platform: the gateway address, the pinned CA fingerprint, the namespace and its
/// <c>uuid:key</c>, the KMS, and the owner and client keys. <c>carapace up</c> writes it to
/// <c>&lt;dataDir&gt;/platform.json</c> (mode 0600); alternatively the variables <c>CARAPACE_URL</c> and
/// <c>CARAPACE_AUTH</c> (with <c>CARAPACE_CA_FINGERPRINT</c>) describe a gateway. <see cref="ToString"/> never shows
/// the key.
/// </summary>
public sealed class PlatformProfile
{
    /// <summary>The profile's file name in a data directory.</summary>
    public const string FileName = "platform.json";

    /// <summary>The gateway's base address, e.g. <c>https://127.0.0.1:8443/</c>.</summary>
    public const string UrlVariable = "CARAPACE_URL";

    /// <summary>The namespace credential, <c>uuid:key</c>.</summary>
    public const string AuthVariable = "CARAPACE_AUTH";

    /// <summary>The pinned CA fingerprint (lower-case hex SHA-256 of the CA certificate's DER).</summary>
    public const string CaFingerprintVariable = "CARAPACE_CA_FINGERPRINT";

    /// <summary>
    /// A PEM file holding the platform CA certificate (a copy of the platform's <c>tls/ca.crt</c>); needed to check
    /// the gateway's certificate when the data directory has no <c>tls/ca.crt</c>.
    /// </summary>
    public const string CaCertificateVariable = "CARAPACE_CA_CERT";

    /// <summary>The namespace an environment profile uses: <c>_</c>, the caller's own (OpenWhisk's convention).</summary>
    public const string OwnNamespace = "_";

    private const int MaxFileBytes = 64 * 1024;

    /// <summary>The gateway's base address (https, ending in <c>/</c>).</summary>
    public required Uri Gateway { get; init; }

    /// <summary>The pinned platform CA: lower-case hex SHA-256 of its certificate's DER encoding.</summary>
    public required string CaFingerprint { get; init; }

    /// <summary>The namespace the credential belongs to (<c>_</c> means the credential's own).</summary>
    public required string Namespace { get; init; }

    /// <summary>The namespace credential, <c>uuid:key</c>; secret.</summary>
    public required string Auth { get; init; }

    /// <summary>The platform's KMS, when known.</summary>
    public PlatformKms? Kms { get; init; }

    /// <summary>The owner's key file, relative to the data directory (see <see cref="OwnerKeyPath"/>).</summary>
    public string? OwnerKey { get; init; }

    /// <summary>The owner's id in the namespace policy.</summary>
    public string? OwnerId { get; init; }

    /// <summary>The client's key file, relative to the data directory (see <see cref="ClientKeyPath"/>).</summary>
    public string? ClientKey { get; init; }

    /// <summary>The client's id in the namespace policy.</summary>
    public string? ClientId { get; init; }

    /// <summary>
    /// The TEE configuration the platform runs with (<c>tee.json</c>: its TEE, trusted VM images, roots, collateral),
    /// relative to the data directory or absolute; null for a simulated platform.
    /// </summary>
    public string? TeeConfig { get; init; }

    /// <summary>The data directory the profile belongs to (key paths are relative to it). Not stored in the file.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The PEM file with the platform CA certificate, when one is known. Not stored in the file.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>Where the profile came from (a file path, or the environment), for messages.</summary>
    public string Source { get; init; } = "memory";

    /// <summary>The owner key's full path, or null when the profile names none.</summary>
    public string? OwnerKeyPath => Resolve(OwnerKey);

    /// <summary>The client key's full path, or null when the profile names none.</summary>
    public string? ClientKeyPath => Resolve(ClientKey);

    /// <summary>The TEE configuration's full path, or null for a simulated platform.</summary>
    public string? TeeConfigPath => Resolve(TeeConfig);

    /// <summary>The default data directory: <c>$CARAPACE_HOME</c>, or <c>~/.carapace</c>.</summary>
    public static string DefaultDataDirectory => CarapaceHome.Directory;

    /// <summary>The profile file of a data directory.</summary>
    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>The platform CA certificate file of a data directory: <c>tls/ca.crt</c>.</summary>
    public static string CaCertificatePathIn(string dataDirectory) => Path.Combine(dataDirectory, "tls", "ca.crt");

    /// <summary>
    /// The profile to use. An explicit <paramref name="dataDirectory"/> means its <c>platform.json</c>. Without one,
    /// <c>CARAPACE_URL</c> (when set) selects the environment profile; otherwise the default data directory's file.
    /// </summary>
    /// <param name="dataDirectory">The data directory the user named, or null.</param>
    /// <param name="environment">Reads a variable; the process environment when null.</param>
    /// <exception cref="PlatformProfileException">There is no usable profile; the message says what to do.</exception>
    public static PlatformProfile Resolve(string? dataDirectory = null, Func<string, string?>? environment = null)
    {
        var read = environment ?? Environment.GetEnvironmentVariable;
        if (dataDirectory is not null)
        {
            return Load(dataDirectory);
        }

        return FromEnvironment(read, DefaultDataDirectory) ?? Load(DefaultDataDirectory);
    }

    /// <summary>Reads <c>&lt;dataDirectory&gt;/platform.json</c>, refusing a file other users can access.</summary>
    /// <exception cref="PlatformProfileException">No platform runs there, or the file is damaged or too widely readable.</exception>
    public static PlatformProfile Load(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var path = PathIn(dataDirectory);
        if (!File.Exists(path))
        {
            throw new PlatformProfileException(
                $"no platform is running for data dir {dataDirectory}; start one with 'carapace up' (or set {UrlVariable} and {AuthVariable})");
        }

        byte[] bytes;
        try
        {
            bytes = KeyFile.ReadOwnerOnly(path, "platform profile", MaxFileBytes);
        }
        catch (KeyFileException e)
        {
            throw new PlatformProfileException(e.Message, e);
        }

        try
        {
            return Parse(bytes, path, dataDirectory);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// The profile the <c>CARAPACE_*</c> variables describe, or null when <c>CARAPACE_URL</c> is not set. The CA
    /// certificate is <c>CARAPACE_CA_CERT</c>, else <paramref name="dataDirectory"/>'s <c>tls/ca.crt</c>; without
    /// <c>CARAPACE_CA_FINGERPRINT</c> the pin is that certificate's fingerprint.
    /// </summary>
    /// <exception cref="PlatformProfileException">The variables are incomplete or invalid; every problem is listed.</exception>
    public static PlatformProfile? FromEnvironment(Func<string, string?> environment, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        if (environment(UrlVariable) is not { Length: > 0 } url)
        {
            return null;
        }

        var problems = new List<string>();
        var gateway = ParseGateway(url, UrlVariable, problems);
        var auth = environment(AuthVariable);
        if (auth is not { Length: > 0 })
        {
            problems.Add($"{UrlVariable} is set but {AuthVariable} is not; set it to your namespace credential uuid:key.");
        }
        else if (!IsAuth(auth))
        {
            problems.Add($"{AuthVariable} must be uuid:key (two non-empty parts separated by ':').");
        }

        var caPath = environment(CaCertificateVariable) is { Length: > 0 } explicitCa ? explicitCa
            : File.Exists(CaCertificatePathIn(dataDirectory)) ? CaCertificatePathIn(dataDirectory)
            : null;
        string? fingerprint = null;
        if (environment(CaFingerprintVariable) is { Length: > 0 } pinned)
        {
            fingerprint = NormalizeFingerprint(pinned);
            if (fingerprint is null)
            {
                problems.Add($"{CaFingerprintVariable} must be 64 hexadecimal digits (the SHA-256 of the platform CA certificate).");
            }
        }
        else if (caPath is not null)
        {
            using var ca = LoadCaCertificate(caPath);
            fingerprint = Convert.ToHexStringLower(SHA256.HashData(ca.RawData));
        }
        else
        {
            problems.Add($"{CaFingerprintVariable} is not set and there is no CA certificate ({CaCertificateVariable} or "
                + $"{CaCertificatePathIn(dataDirectory)}); set it to the caFingerprint in the platform's platform.json.");
        }

        if (problems.Count > 0)
        {
            throw new PlatformProfileException("the CARAPACE_* variables do not describe a platform:" + string.Concat(problems.Select(p => "\n  - " + p)));
        }

        return new PlatformProfile
        {
            Gateway = gateway!,
            CaFingerprint = fingerprint!,
            Namespace = OwnNamespace,
            Auth = auth!,
            CaCertificatePath = caPath,
            Source = $"the environment ({UrlVariable})",
        };
    }

    /// <summary>
    /// Writes the profile to <c>&lt;dataDirectory&gt;/platform.json</c> atomically with mode 0600 (the folder is
    /// created owner-only when missing), replacing an existing file.
    /// </summary>
    /// <exception cref="PlatformProfileException">The file cannot be written.</exception>
    public void Save(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var bytes = ToJson();
        try
        {
            KeyFile.CreatePrivateDirectory(dataDirectory);
            KeyFile.WriteOwnerOnly(PathIn(dataDirectory), bytes, "platform profile", overwrite: true);
        }
        catch (Exception e) when (e is KeyFileException or IOException or UnauthorizedAccessException)
        {
            throw new PlatformProfileException($"cannot write the platform profile in {dataDirectory}: {e.Message}", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The profile as <c>platform.json</c> holds it (UTF-8, indented). Contains the key: the caller zeroes it.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("gateway", Gateway.AbsoluteUri);
            json.WriteString("caFingerprint", CaFingerprint);
            json.WriteString("namespace", Namespace);
            json.WriteString("auth", Auth);
            if (Kms is { } kms)
            {
                json.WriteStartObject("kms");
                json.WriteString("url", kms.Url);
                json.WriteString("measurement", kms.Measurement);
                if (kms.QuotingKey.Length > 0)
                {
                    json.WriteString("quotingKey", kms.QuotingKey);
                }
                json.WriteEndObject();
            }

            WriteOptional(json, "ownerKey", OwnerKey);
            WriteOptional(json, "ownerId", OwnerId);
            WriteOptional(json, "clientKey", ClientKey);
            WriteOptional(json, "clientId", ClientId);
            WriteOptional(json, "teeConfig", TeeConfig);
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        var bytes = buffer.ToArray();
        CryptographicOperations.ZeroMemory(buffer.GetBuffer());
        return bytes;
    }

    /// <summary>The gateway, namespace and source; never the credential's key.</summary>
    public override string ToString() => $"{Gateway} namespace {Namespace} (CA {CaFingerprint[..Math.Min(16, CaFingerprint.Length)]}…, from {Source})";

    /// <summary>The fingerprint in canonical form (lower-case, no separators), or null when it is not 32 bytes of hex.</summary>
    public static string? NormalizeFingerprint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hex = text.Trim().Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        return hex.Length == 64 && hex.All(char.IsAsciiHexDigit) ? hex : null;
    }

    /// <summary>Loads a PEM CA certificate.</summary>
    /// <exception cref="PlatformProfileException">The file is missing or not a PEM certificate.</exception>
    public static X509Certificate2 LoadCaCertificate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(path, Encoding.ASCII));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlatformProfileException($"cannot read the platform CA certificate {path}: {e.Message}", e);
        }
        catch (CryptographicException e)
        {
            throw new PlatformProfileException($"{path} is not a PEM certificate; copy the platform's tls/ca.crt there ({e.Message})", e);
        }
    }

    private static PlatformProfile Parse(byte[] bytes, string path, string dataDirectory)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            // The parser's message may quote the file, which holds the key.
            throw new PlatformProfileException($"{path} is damaged: it is not JSON; run 'carapace up' to write it again");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PlatformProfileException($"{path} is damaged: it is not a JSON object; run 'carapace up' to write it again");
            }

            var problems = new List<string>();
            var gateway = ParseGateway(String(root, "gateway", required: true, problems), "'gateway'", problems);
            var fingerprintText = String(root, "caFingerprint", required: true, problems);
            var fingerprint = fingerprintText is null ? null : NormalizeFingerprint(fingerprintText);
            if (fingerprintText is not null && fingerprint is null)
            {
                problems.Add("'caFingerprint' must be 64 hexadecimal digits.");
            }

            var ns = String(root, "namespace", required: true, problems);
            var auth = String(root, "auth", required: true, problems);
            if (auth is not null && !IsAuth(auth))
            {
                problems.Add("'auth' must be uuid:key.");
            }

            PlatformKms? kms = null;
            if (root.TryGetProperty("kms", out var kmsJson) && kmsJson.ValueKind != JsonValueKind.Null)
            {
                if (kmsJson.ValueKind != JsonValueKind.Object)
                {
                    problems.Add("'kms' must be an object with 'url', 'measurement' and 'quotingKey'.");
                }
                else if (String(kmsJson, "url", true, problems, "kms.") is { } url
                         && String(kmsJson, "measurement", true, problems, "kms.") is { } measurement)
                {
                    // A KMS in a confidential VM has no simulation quoting key: it is trusted by the TEE configuration.
                    var simulated = !root.TryGetProperty("teeConfig", out var tee) || tee.ValueKind == JsonValueKind.Null;
                    if ((simulated ? String(kmsJson, "quotingKey", true, problems, "kms.") : OptionalQuotingKey(kmsJson, problems)) is { } quotingKey)
                    {
                        kms = new PlatformKms(url, measurement, quotingKey);
                    }
                }
            }

            var profile = new PlatformProfile
            {
                Gateway = gateway!,
                CaFingerprint = fingerprint!,
                Namespace = ns!,
                Auth = auth!,
                Kms = kms,
                OwnerKey = String(root, "ownerKey", false, problems),
                OwnerId = String(root, "ownerId", false, problems),
                ClientKey = String(root, "clientKey", false, problems),
                ClientId = String(root, "clientId", false, problems),
                TeeConfig = String(root, "teeConfig", false, problems),
                DataDirectory = dataDirectory,
                CaCertificatePath = CaCertificatePathIn(dataDirectory),
                Source = path,
            };
            if (problems.Count > 0)
            {
                throw new PlatformProfileException($"{path} is damaged:" + string.Concat(problems.Select(p => "\n  - " + p))
                    + "\nrun 'carapace up' to write it again");
            }

            return profile;
        }
    }

    /// <summary><c>kms.quotingKey</c> of a hardware platform: absent or empty (none), else a string.</summary>
    private static string? OptionalQuotingKey(JsonElement kms, List<string> problems)
    {
        if (!kms.TryGetProperty("quotingKey", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return "";
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            problems.Add("'kms.quotingKey' must be a string.");
            return null;
        }

        return value.GetString();
    }

    private static string? String(JsonElement parent, string name, bool required, List<string> problems, string prefix = "")
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problems.Add($"'{prefix}{name}' is missing.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
        {
            problems.Add($"'{prefix}{name}' must be a non-empty string.");
            return null;
        }

        return text;
    }

    private static Uri? ParseGateway(string? text, string what, List<string> problems)
    {
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.Query.Length > 0)
        {
            problems.Add($"{what} must be the gateway's https:// base address (e.g. https://127.0.0.1:8443/), not '{text}'.");
            return null;
        }

        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static bool IsAuth(string auth)
    {
        var colon = auth.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon < auth.Length - 1;
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private string? Resolve(string? relative) =>
        relative is null ? null : Path.GetFullPath(relative, DataDirectory ?? Environment.CurrentDirectory);
}
