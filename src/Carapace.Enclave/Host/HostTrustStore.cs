using System.Runtime.InteropServices;

namespace Carapace.Enclave.Host;

/// <summary>
/// Keeps the host's certificate store out of the enclave. Every trust decision the enclave makes ends in a root it
/// carries or is given (pinned vendor roots, the KMS's measurement, RA-TLS evidence), never in the machine's CA
/// store. But .NET builds an X.509 chain with the system's trust whenever a TLS end presents a certificate (the KMS
/// client's RA-TLS certificate, for instance), even when a custom callback decides, and on Linux that first chain reads
/// and parses every file of <c>/etc/ssl/certs</c> (about 150 PEM files: two thirds of a stem cell's start-up CPU on
/// this machine). Those files belong to the untrusted host, so parsing them inside the enclave is attack surface as well
/// as time. The enclave therefore empties OpenSSL's store locations (<c>SSL_CERT_FILE</c>, <c>SSL_CERT_DIR</c>) for
/// itself, first thing, before any other thread runs.
/// </summary>
internal static class HostTrustStore
{
    /// <summary>
    /// Points this process's system certificate store at nothing; false when libc refused either variable (then that
    /// location keeps the host's value, which costs start-up time but decides nothing: no trust ends in that store).
    /// </summary>
    public static bool Detach() =>
        SetEnvironment("SSL_CERT_FILE\0"u8.ToArray(), "\0"u8.ToArray(), 1) == 0
        & SetEnvironment("SSL_CERT_DIR\0"u8.ToArray(), "\0"u8.ToArray(), 1) == 0;

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetEnvironment(byte[] name, byte[] value, int overwrite);
}
