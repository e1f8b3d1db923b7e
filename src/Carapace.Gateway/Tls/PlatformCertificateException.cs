namespace Carapace.Gateway.Tls;

/// <summary>
/// The platform CA in <c>&lt;dataDir&gt;/tls</c> cannot be used: a file is missing, damaged, readable by other users,
/// expired, or the certificate and key do not belong together. The message names the file and what to do; it never
/// contains key bytes.
/// </summary>
public sealed class PlatformCertificateException : Exception
{
    /// <summary>Creates the error.</summary>
    public PlatformCertificateException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
