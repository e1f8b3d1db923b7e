using System.Net;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Profiles;
using Carapace.Gateway;
using Carapace.Gateway.Tls;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Platform;
using Microsoft.Extensions.Logging;

namespace Carapace.Cli.Platform;

/// <summary>
/// The embedded platform as <c>carapace up</c> (and <c>carapace bench invoke</c> when it starts its own) runs it over a
/// data directory: the TLS CA and a fresh server certificate, the KMS child process, the owner and client keys, the
/// namespace's first policy, the <see cref="PlatformHost"/>, the namespace credential and <c>platform.json</c>.
/// </summary>
internal sealed class EmbeddedPlatform : IAsyncDisposable
{
    private readonly PlatformCertificateAuthority _authority;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate;
    private bool _stopped;

    private EmbeddedPlatform(PlatformCertificateAuthority authority, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        KmsChildProcess kms, PlatformHost host, PlatformProfile profile)
    {
        _authority = authority;
        _certificate = certificate;
        Kms = kms;
        Host = host;
        Profile = profile;
    }

    public KmsChildProcess Kms { get; }

    public PlatformHost Host { get; }

    /// <summary>What clients need (also saved as <c>platform.json</c>).</summary>
    public PlatformProfile Profile { get; }

    public static async Task<EmbeddedPlatform> StartAsync(string directory, IPAddress address, int port, string ns, int stemCells,
        ILoggerFactory loggers, Action<string> kmsDiagnostics, CancellationToken cancellationToken)
    {
        Envelope.Keys.KeyFile.CreatePrivateDirectory(directory);
        PlatformCertificateAuthority authority;
        try
        {
            authority = PlatformCertificateAuthority.LoadOrCreate(directory);
        }
        catch (PlatformCertificateException e)
        {
            throw new CliFailure(e.Message, ExitCodes.IoError);
        }

        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
        KmsChildProcess? kms = null;
        try
        {
            certificate = authority.IssueServerCertificate(address.Equals(IPAddress.Any) || address.Equals(IPAddress.Loopback) ? [] : [address.ToString()]);
            kms = await KmsChildProcess.StartAsync(directory, kmsDiagnostics, cancellationToken).ConfigureAwait(false);
            using (var owner = LoadOrCreateKey(Path.Combine(directory, "owner.key")))
            using (var client = LoadOrCreateKey(Path.Combine(directory, "client.key")))
            using (var kmsClient = new KmsClient(kms.Endpoint.Url, KmsServerTrust.Simulation(kms.Endpoint.QuotingKey)))
            {
                await EnsurePolicyAsync(kmsClient, ns, owner, client, cancellationToken).ConfigureAwait(false);
            }

            var host = await PlatformHost.StartAsync(new PlatformOptions
            {
                DataDirectory = directory,
                Address = address,
                Port = port,
                Certificate = certificate,
                Kms = new KmsAdvertisement(kms.Endpoint.Url, kms.Endpoint.Measurement, kms.Endpoint.QuotingKey),
                StemCells = stemCells,
                LoggerFactory = loggers,
            }, cancellationToken).ConfigureAwait(false);
            var profile = new PlatformProfile
            {
                Gateway = host.Endpoint,
                CaFingerprint = authority.Fingerprint,
                Namespace = ns,
                Auth = ReuseOrCreateCredential(directory, host, ns),
                Kms = new PlatformKms(kms.Endpoint.Url.AbsoluteUri, kms.Endpoint.Measurement, Convert.ToBase64String(kms.Endpoint.QuotingKey)),
                OwnerKey = "owner.key",
                OwnerId = "owner",
                ClientKey = "client.key",
                ClientId = "cli",
            };
            profile.Save(directory);
            return new EmbeddedPlatform(authority, certificate, kms, host, PlatformProfile.Load(directory));
        }
        catch
        {
            if (kms is not null)
            {
                await kms.DisposeAsync().ConfigureAwait(false);
            }

            certificate?.Dispose();
            authority.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops the gateway, lets running invocations finish and be recorded (up to <paramref name="grace"/>), shuts the
    /// enclaves down, then stops the KMS.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using (var timeout = new CancellationTokenSource(grace))
        {
            await Host.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await Kms.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await Kms.DisposeAsync().ConfigureAwait(false);
        _certificate.Dispose();
        _authority.Dispose();
    }

    private static OwnerKey LoadOrCreateKey(string path) => File.Exists(path) ? OwnerKey.Load(path) : OwnerKey.Create(path);

    /// <summary>
    /// Gives a namespace that has no policy yet its first one: this data directory's owner key as the single owner
    /// (1 of 1), its client key as the one client, simulation evidence allowed (there is no TEE here), no functions.
    /// An existing policy is left as its owners made it.
    /// </summary>
    private static async Task EnsurePolicyAsync(KmsClient kms, string ns, OwnerKey owner, OwnerKey client, CancellationToken cancellationToken)
    {
        if (await kms.GetPolicyAsync(ns, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        var policy = new KmsPolicy
        {
            Namespace = ns,
            Version = 1,
            Owners = [new PolicyPrincipal { Id = "owner", PublicKey = owner.PublicKeyBase64 }],
            Approvals = 1,
            AllowSimulation = true,
            Functions = [],
            Clients = [new PolicyPrincipal { Id = "cli", PublicKey = client.PublicKeyBase64 }],
        };
        var signed = PolicySigner.AddSignature(new SignedPolicy { PolicyText = policy.ToJson() }, "owner", owner);
        await kms.SetPolicyAsync(signed.ToJson(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The namespace credential recorded in platform.json when it still authenticates; otherwise a new one.</summary>
    private static string ReuseOrCreateCredential(string directory, PlatformHost host, string ns)
    {
        if (File.Exists(PlatformProfile.PathIn(directory)))
        {
            try
            {
                var previous = PlatformProfile.Load(directory);
                var parts = previous.Auth.Split(':', 2);
                if (previous.Namespace == ns && parts.Length == 2 && host.Gateway.Authenticates(parts[0], parts[1], ns))
                {
                    return previous.Auth;
                }
            }
            catch (PlatformProfileException)
            {
                // A damaged profile is replaced below.
            }
        }

        return host.Gateway.CreateNamespace(ns).Auth;
    }
}
