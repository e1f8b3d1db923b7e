using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carapace.Envelope.Keys;

namespace Carapace.Cluster.Security;

/// <summary>
/// The cluster's certificate authority: who may be a node. <see cref="Create"/> makes a self-signed ECDSA P-256 CA
/// (<c>ca.crt</c>, and <c>ca.key</c> mode 0600 in a 0700 folder) that the owner keeps off the nodes; <see cref="Issue"/>
/// signs a node certificate (<c>NODE.crt</c>, <c>NODE.key</c>) usable for both ends of mutual TLS. Nodes hold only
/// <c>ca.crt</c> and their own pair, and accept a peer only when its certificate chains to this CA
/// (<see cref="NodeTrust"/>).
/// </summary>
public static class ClusterAuthority
{
    /// <summary>The CA certificate's file name in the authority's folder.</summary>
    public const string CertificateFileName = "ca.crt";

    /// <summary>The CA key's file name in the authority's folder.</summary>
    public const string KeyFileName = "ca.key";

    /// <summary>How long a CA is valid.</summary>
    public static readonly TimeSpan CaValidity = TimeSpan.FromDays(3653);

    /// <summary>How long a node certificate is valid (never past the CA's own end).</summary>
    public static readonly TimeSpan NodeValidity = TimeSpan.FromDays(365);

    private const int MaxPemBytes = 16 * 1024;
    private static readonly TimeSpan s_backdate = TimeSpan.FromMinutes(5);

    /// <summary>Creates a new CA in <paramref name="directory"/>; refuses to replace one that exists.</summary>
    /// <returns>The CA certificate's SHA-256 fingerprint (lower-case hex).</returns>
    /// <exception cref="IOException">A CA already exists there, or the files cannot be written.</exception>
    public static string Create(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var certificatePath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            throw new IOException($"{directory} already holds a cluster CA ({CertificateFileName}, {KeyFileName}); every node certificate it issued depends on it, so it is never replaced");
        }

        KeyFile.CreatePrivateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Carapace cluster CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now - s_backdate, now + CaValidity);
        KeyFile.WriteOwnerOnly(keyPath, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()), "cluster CA key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        return Fingerprint(certificate);
    }

    /// <summary>
    /// Issues the certificate of node <paramref name="node"/> from the CA in <paramref name="authorityDirectory"/>, into
    /// <paramref name="outputDirectory"/> as <c>NODE.crt</c> and <c>NODE.key</c> (mode 0600).
    /// </summary>
    /// <returns>The paths of the certificate and the key.</returns>
    /// <exception cref="ArgumentException"><paramref name="node"/> is not a valid node name.</exception>
    /// <exception cref="IOException">The CA is missing or damaged, or the node's files exist or cannot be written.</exception>
    public static (string Certificate, string Key) Issue(string authorityDirectory, string node, string outputDirectory)
    {
        if (!IsValidNodeName(node))
        {
            throw new ArgumentException($"'{node}' is not a valid node name: use 1-63 letters, digits, '-' or '.'", nameof(node));
        }

        using var ca = LoadAuthority(authorityDirectory);
        var certificatePath = Path.Combine(outputDirectory, node + ".crt");
        var keyPath = Path.Combine(outputDirectory, node + ".key");
        if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            throw new IOException($"{certificatePath} or {keyPath} already exists; remove them first to issue a new certificate for '{node}'");
        }

        Directory.CreateDirectory(outputDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={node}, O=Carapace cluster node", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(node);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + NodeValidity < ca.NotAfter ? now + NodeValidity : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        using var caKey = ca.GetECDsaPrivateKey() ?? throw new IOException("the cluster CA certificate has no ECDSA key");
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now - s_backdate, notAfter, serial);
        KeyFile.WriteOwnerOnly(keyPath, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()), "node key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        return (certificatePath, keyPath);
    }

    /// <summary>Loads a node's certificate with its key, as <see cref="Issue"/> wrote them.</summary>
    /// <exception cref="IOException">A file is missing or does not hold a certificate or key.</exception>
    public static X509Certificate2 LoadNode(string certificatePath, string keyPath)
    {
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            throw new IOException($"the node certificate {certificatePath} or its key {keyPath} does not exist; issue one with 'carapace cluster cert issue NODE'");
        }

        try
        {
            var pem = Encoding.ASCII.GetString(KeyFile.ReadOwnerOnly(keyPath, "node key", MaxPemBytes));
            using var loaded = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), pem);
            // An exportable copy: TLS on Linux uses the key in memory either way.
            return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or KeyFileException)
        {
            throw new IOException($"the node certificate {certificatePath} with key {keyPath} cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>Loads a CA certificate (public part) from a PEM file.</summary>
    /// <exception cref="IOException">The file is missing or holds no certificate.</exception>
    public static X509Certificate2 LoadCertificate(string path)
    {
        if (!File.Exists(path))
        {
            throw new IOException($"the cluster CA certificate {path} does not exist; create the CA with 'carapace cluster ca new'");
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(Encoding.ASCII.GetBytes(File.ReadAllText(path)));
        }
        catch (CryptographicException e)
        {
            throw new IOException($"{path} does not hold a certificate: {e.Message}", e);
        }
    }

    /// <summary>Lower-case hex SHA-256 of a certificate's DER encoding.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>True for 1-63 ASCII letters, digits, '-' and '.', not starting with '-' or '.'.</summary>
    public static bool IsValidNodeName(string? node) =>
        node is { Length: >= 1 and <= 63 } && char.IsAsciiLetterOrDigit(node[0]) && node.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    private static X509Certificate2 LoadAuthority(string directory)
    {
        var certificatePath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            throw new IOException($"{directory} holds no cluster CA ({CertificateFileName} and {KeyFileName}); create one with 'carapace cluster ca new --dir {directory}'");
        }

        try
        {
            var pem = Encoding.ASCII.GetString(KeyFile.ReadOwnerOnly(keyPath, "cluster CA key", MaxPemBytes));
            return X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), pem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or KeyFileException)
        {
            throw new IOException($"the cluster CA in {directory} cannot be loaded: {e.Message}", e);
        }
    }

}
