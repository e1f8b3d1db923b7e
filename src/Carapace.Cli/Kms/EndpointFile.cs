using System.Text.Json;
using Carapace.Attestation.Tee;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client;

namespace Carapace.Cli.Kms;

/// <summary>
/// <c>&lt;data-dir&gt;/kms/endpoint.json</c>: where a running <c>carapace kms start</c> listens, the measurement it attests,
/// the TEE it runs in and either the simulation quoting key (base64 DER SubjectPublicKeyInfo) its evidence is signed
/// with or the TEE configuration it was started with (whose trusted VM images, roots and collateral a client checks it
/// against). Written by the KMS when it starts and removed when it stops, in the KMS's own 0700 folder; client commands
/// read it to find and trust the local KMS. Files without <c>tee</c> (older KMSs) are simulation.
/// </summary>
internal sealed record EndpointFile(Uri Url, string Measurement, byte[] QuotingKey, string Tee = "sim", string? TeeConfig = null)
{
    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, "kms", "endpoint.json");

    public void Write(string path)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("url", Url.AbsoluteUri);
            w.WriteString("measurement", Measurement);
            w.WriteString("quotingKey", Convert.ToBase64String(QuotingKey));
            w.WriteString("tee", Tee);
            if (TeeConfig is not null)
            {
                w.WriteString("teeConfig", TeeConfig);
            }

            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, buffer.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The trust a client gives this KMS: its simulation quoting key, or its TEE configuration's VM images.</summary>
    /// <exception cref="CliFailure">The KMS runs in a TEE but its configuration cannot be read.</exception>
    public KmsServerTrust Trust()
    {
        if (Tee == "sim")
        {
            return KmsServerTrust.Simulation(QuotingKey);
        }

        try
        {
            var settings = TeeSettings.Load(TeeConfig ?? throw new CliFailure($"the KMS runs in {Tee} but its endpoint file names no TEE configuration; restart it", ExitCodes.IoError));
            return KmsServerTrust.For(settings, QuotingKey);
        }
        catch (TeeConfigurationException e)
        {
            throw new CliFailure($"the KMS runs in {Tee}, and its TEE configuration cannot be used to check it: {e.Message}", ExitCodes.IoError);
        }
    }

    /// <summary>Reads the file; a missing or damaged file is a <see cref="CliFailure"/> that says how to start a KMS.</summary>
    public static EndpointFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"no KMS is running for this data directory (no {path}); start one with 'carapace kms start' or pass --kms URL",
                ExitCodes.IoError);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var url = new Uri(root.GetProperty("url").GetString()!, UriKind.Absolute);
            return new EndpointFile(url, root.GetProperty("measurement").GetString()!, Convert.FromBase64String(root.GetProperty("quotingKey").GetString()!),
                root.TryGetProperty("tee", out var tee) ? tee.GetString()! : "sim",
                root.TryGetProperty("teeConfig", out var config) ? config.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or UriFormatException
                                      or ArgumentNullException)
        {
            throw new CliFailure($"{path} is damaged ({e.Message}); restart the KMS with 'carapace kms start'", ExitCodes.IoError);
        }
    }

    /// <summary>Removes the file if it still describes <paramref name="url"/> (a newer KMS may have replaced it).</summary>
    public static void RemoveIfFor(string path, Uri url)
    {
        try
        {
            if (File.Exists(path) && Read(path).Url == url)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is CliFailure or IOException or UnauthorizedAccessException)
        {
            // Best effort: a stale file only makes clients report that the KMS is unreachable.
        }
    }
}
