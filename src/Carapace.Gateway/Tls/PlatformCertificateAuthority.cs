using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carapace.Envelope.Keys;

namespace Carapace.Gateway.Tls;

/// <summary>
/// The platform's own TLS certificate authority. On first use it creates a self-signed ECDSA P-256 CA
/// (<c>CN=Carapace platform CA</c>, ten years, basic constraints CA, keyCertSign) and keeps it in
/// <c>&lt;dataDir&gt;/tls/ca.crt</c> (PEM) and <c>&lt;dataDir&gt;/tls/ca.key</c> (PKCS#8 PEM, mode 0600, in a 0700
/// folder); later starts reuse it, so clients keep their pin, <see cref="Fingerprint"/>. Each start issues a fresh
/// gateway certificate with <see cref="IssueServerCertificate"/>. Dispose it to release the CA key.
/// </summary>
public sealed class PlatformCertificateAuthority : IDisposable
{
    /// <summary>The CA's subject.</summary>
    public const string Subject = "CN=Carapace platform CA";

    /// <summary>How long a new CA is valid.</summary>
    public static readonly TimeSpan CaValidity = TimeSpan.FromDays(3653);

    /// <summary>How long a server certificate is valid (never past the CA's own end).</summary>
    public static readonly TimeSpan ServerValidity = TimeSpan.FromDays(90);

    private const string KeyKind = "CA key";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string ServerSubject = "CN=Carapace gateway";
    private const int MaxFileBytes = 16 * 1024;
    private static readonly TimeSpan s_backdate = TimeSpan.FromMinutes(5);
    private static readonly string[] s_defaultNames = ["localhost", "127.0.0.1", "::1"];

    private readonly ECDsa _key;
    private readonly TimeProvider _time;

    private PlatformCertificateAuthority(X509Certificate2 certificate, ECDsa key, string directory, bool created, TimeProvider time)
    {
        Certificate = certificate;
        _key = key;
        _time = time;
        Directory = directory;
        Created = created;
        Fingerprint = FingerprintOf(certificate);
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The pin clients use: lower-case hex SHA-256 of the CA certificate's DER encoding.</summary>
    public string Fingerprint { get; }

    /// <summary>The folder holding <c>ca.crt</c> and <c>ca.key</c>: <c>&lt;dataDir&gt;/tls</c>.</summary>
    public string Directory { get; }

    /// <summary>True when this call created the CA (first start); false when it was loaded.</summary>
    public bool Created { get; }

    /// <summary>The CA certificate file under a data directory: <c>tls/ca.crt</c>.</summary>
    public static string CertificatePathIn(string dataDirectory) => Path.Combine(dataDirectory, "tls", "ca.crt");

    /// <summary>The CA key file under a data directory: <c>tls/ca.key</c>.</summary>
    public static string KeyPathIn(string dataDirectory) => Path.Combine(dataDirectory, "tls", "ca.key");

    /// <summary>Lower-case hex SHA-256 of <paramref name="certificate"/>'s DER encoding.</summary>
    public static string FingerprintOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>
    /// Loads the CA of <paramref name="dataDirectory"/>, creating it when neither file exists. Never replaces an
    /// existing CA: a missing half, a damaged file or a key other users can read is an error, because a new CA would
    /// silently break every client's pin.
    /// </summary>
    /// <exception cref="PlatformCertificateException">The CA files exist but cannot be used; the message says why and what to do.</exception>
    public static PlatformCertificateAuthority LoadOrCreate(string dataDirectory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var time = timeProvider ?? TimeProvider.System;
        var certificatePath = CertificatePathIn(dataDirectory);
        var keyPath = KeyPathIn(dataDirectory);
        var directory = Path.GetDirectoryName(Path.GetFullPath(certificatePath))!;
        var hasCertificate = File.Exists(certificatePath);
        var hasKey = File.Exists(keyPath);
        if (!hasCertificate && !hasKey)
        {
            return Create(directory, certificatePath, keyPath, time);
        }

        if (!hasKey || !hasCertificate)
        {
            var (present, missing) = hasKey ? (keyPath, certificatePath) : (certificatePath, keyPath);
            throw new PlatformCertificateException(
                $"the platform CA is incomplete: {present} exists but {missing} does not; restore {missing}, or delete {present} "
                + "to make a new CA (clients must then take the new CA fingerprint)");
        }

        return Load(directory, certificatePath, keyPath, time);
    }

    /// <summary>
    /// Issues a fresh gateway certificate (new P-256 key, serverAuth, valid <see cref="ServerValidity"/>) signed by
    /// the CA, for <c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c> and <paramref name="extraNames"/> (each a DNS name
    /// or an IP address). The result carries its private key in a form Kestrel can serve; dispose it when the server
    /// stops.
    /// </summary>
    /// <exception cref="ArgumentException">A name is neither an IP address nor a DNS name.</exception>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string>? extraNames = null)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in s_defaultNames.Concat(extraNames ?? []).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else if (Uri.CheckHostName(name) == UriHostNameType.Dns)
            {
                san.AddDnsName(name);
            }
            else
            {
                throw new ArgumentException($"'{name}' is neither an IP address nor a DNS name", nameof(extraNames));
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(ServerSubject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));

        var now = _time.GetUtcNow();
        var notAfter = now + ServerValidity < Certificate.NotAfter ? now + ServerValidity : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now - s_backdate, notAfter, Serial());
        using var withKey = issued.CopyWithPrivateKey(key);

        // A certificate joined to an in-memory key this way is not usable by every TLS stack; a PKCS#12 round trip
        // gives one whose key the platform's TLS layer loads as it would from a file.
        var pfx = withKey.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.EphemeralKeySet);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    /// <summary>Releases the CA key and certificate.</summary>
    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    private static PlatformCertificateAuthority Create(string directory, string certificatePath, string keyPath, TimeProvider time)
    {
        try
        {
            KeyFile.CreatePrivateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlatformCertificateException($"cannot create the platform CA folder {directory}: {e.Message}", e);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = time.GetUtcNow();
            using var selfSigned = request.CreateSelfSigned(now - s_backdate, now + CaValidity);
            var certificate = X509CertificateLoader.LoadCertificate(selfSigned.RawData);

            var keyPem = Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem());
            try
            {
                // The key first: a crash in between leaves a key without a certificate, which start-up reports.
                KeyFile.WriteOwnerOnly(keyPath, keyPem, KeyKind);
                KeyFile.WriteOwnerOnly(certificatePath, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"), "CA certificate");
            }
            catch (KeyFileException e)
            {
                certificate.Dispose();
                throw new PlatformCertificateException($"cannot store the new platform CA: {e.Message}", e);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(keyPem);
            }

            return new PlatformCertificateAuthority(certificate, key, directory, created: true, time);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static PlatformCertificateAuthority Load(string directory, string certificatePath, string keyPath, TimeProvider time)
    {
        var certificate = ReadCertificate(certificatePath);
        ECDsa? key = null;
        try
        {
            key = ReadKey(keyPath);
            var problem = Check(certificate, key, time);
            if (problem is not null)
            {
                throw new PlatformCertificateException($"the platform CA in {directory} cannot be used: {problem}");
            }

            return new PlatformCertificateAuthority(certificate, key, directory, created: false, time);
        }
        catch
        {
            key?.Dispose();
            certificate.Dispose();
            throw;
        }
    }

    private static X509Certificate2 ReadCertificate(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxFileBytes)
            {
                throw new PlatformCertificateException($"{path} is damaged: it is {info.Length} bytes, too long for a CA certificate");
            }

            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlatformCertificateException($"cannot read the platform CA certificate {path}: {e.Message}", e);
        }

        try
        {
            return X509Certificate2.CreateFromPem(text);
        }
        catch (CryptographicException e)
        {
            throw new PlatformCertificateException($"{path} is damaged: it is not a PEM certificate ({e.Message})", e);
        }
    }

    private static ECDsa ReadKey(string path)
    {
        byte[] bytes;
        try
        {
            bytes = KeyFile.ReadOwnerOnly(path, KeyKind, MaxFileBytes);
        }
        catch (KeyFileException e)
        {
            throw new PlatformCertificateException($"the platform CA key cannot be used: {e.Message}", e);
        }

        var text = new char[bytes.Length];
        var key = ECDsa.Create();
        try
        {
            var count = Encoding.ASCII.GetChars(bytes, text);
            key.ImportFromPem(text.AsSpan(0, count));
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new PlatformCertificateException(
                $"{path} is damaged: it must hold one unencrypted PKCS#8 PEM ECDSA P-256 private key; restore it from a backup, "
                + "or delete tls/ca.crt and tls/ca.key to make a new CA (clients must then take the new fingerprint)", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(text);
        }
    }

    private static string? Check(X509Certificate2 certificate, ECDsa key, TimeProvider time)
    {
        if (key.ExportParameters(false).Curve.Oid?.Value != P256Oid || certificate.GetECDsaPublicKey() is not { } certificateKey)
        {
            return "the CA must be ECDSA P-256";
        }

        using (certificateKey)
        {
            if (!CryptographicOperations.FixedTimeEquals(certificateKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo()))
            {
                return "ca.key is not the key of ca.crt; restore the matching pair, or delete both to make a new CA";
            }
        }

        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            return "ca.crt is not a CA certificate (no basic constraints CA:true)";
        }

        var now = time.GetUtcNow();
        if (now > certificate.NotAfter.ToUniversalTime() || now < certificate.NotBefore.ToUniversalTime())
        {
            return $"ca.crt is valid only from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}; "
                + "delete tls/ca.crt and tls/ca.key to make a new CA (clients must then take the new fingerprint)";
        }

        return null;
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        serial[0] |= 0x01;
        return serial;
    }
}
