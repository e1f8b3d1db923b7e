using System.Net;
using Carapace.Attestation.Tee;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Profiles;
using Carapace.Gateway;
using Carapace.Gateway.Tls;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Platform;
using Carapace.Platform.Kms;
using Microsoft.Extensions.Logging;

namespace Carapace.Cli.Platform;

/// <summary>
/// The embedded platform as <c>carapace up</c> (and <c>carapace bench invoke</c> when it starts its own) runs it over a
/// data directory: the TLS CA and a fresh server certificate, the KMS child process and its supervisor, the owner and
/// client keys, the namespace's first policy, the <see cref="PlatformHost"/>, the namespace credential and
/// <c>platform.json</c> (rewritten when a restarted KMS had to move to another port).
/// </summary>
internal sealed class EmbeddedPlatform : IAsyncDisposable
{
    private readonly PlatformCertificateAuthority _authority;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate;
    private readonly string _directory;
    private readonly Lock _profileLock = new();
    private PlatformProfile _profile;
    private bool _stopped;

    private EmbeddedPlatform(string directory, PlatformCertificateAuthority authority, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        KmsSupervisor kms, PlatformHost host, PlatformProfile profile, TeeSettings tee)
    {
        _directory = directory;
        Tee = tee;
        _authority = authority;
        _certificate = certificate;
        Kms = kms;
        Host = host;
        _profile = profile;
    }

    /// <summary>The TEE the KMS and the enclaves run in.</summary>
    public TeeSettings Tee { get; }

    /// <summary>The KMS child's supervisor (its <see cref="KmsSupervisor.Health"/> says where the KMS is now).</summary>
    public KmsSupervisor Kms { get; }

    public PlatformHost Host { get; }

    /// <summary>What clients need (also saved as <c>platform.json</c>).</summary>
    public PlatformProfile Profile
    {
        get
        {
            lock (_profileLock)
            {
                return _profile;
            }
        }
    }

    /// <summary>
    /// Starts the platform over <paramref name="directory"/>; the KMS and the enclaves run in the TEE of
    /// <paramref name="tee"/> (simulation when null), and clients are told its configuration in <c>platform.json</c>.
    /// </summary>
    public static async Task<EmbeddedPlatform> StartAsync(string directory, IPAddress address, int port, string ns, int stemCells,
        ILoggerFactory loggers, Action<string> kmsDiagnostics, CancellationToken cancellationToken, KmsSupervisionOptions? supervision = null,
        TeeSettings? tee = null)
    {
        tee ??= TeeSettings.Simulation;
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
        PlatformHost? host = null;
        try
        {
            certificate = authority.IssueServerCertificate(address.Equals(IPAddress.Any) || address.Equals(IPAddress.Loopback) ? [] : [address.ToString()]);
            kms = await KmsChildProcess.StartAsync(directory, 0, kmsDiagnostics, cancellationToken, tee).ConfigureAwait(false);
            using (var owner = LoadOrCreateKey(Path.Combine(directory, "owner.key")))
            using (var client = LoadOrCreateKey(Path.Combine(directory, "client.key")))
            using (var kmsClient = new KmsClient(kms.Endpoint.Url, KmsServerTrust.For(tee, kms.Endpoint.QuotingKey)))
            {
                await EnsurePolicyAsync(kmsClient, ns, owner, client, tee, cancellationToken).ConfigureAwait(false);
            }

            var health = new KmsHealth(kms.Advertisement, supervision);
            host = await PlatformHost.StartAsync(new PlatformOptions
            {
                DataDirectory = directory,
                Address = address,
                Port = port,
                Certificate = certificate,
                Kms = kms.Advertisement,
                KmsHealth = health,
                StemCells = stemCells,
                LoggerFactory = loggers,
                Tee = tee,
            }, cancellationToken).ConfigureAwait(false);
            var profile = ProfileOf(host, authority, ns, ReuseOrCreateCredential(directory, host, ns), kms.Advertisement, tee);
            profile.Save(directory);
            var supervisor = new KmsSupervisor(kms, (kmsPort, cancel) => LaunchAsync(directory, kmsPort, kmsDiagnostics, tee, cancel), health,
                loggers.CreateLogger("Carapace.Kms.Supervisor"), tee: tee);
            var platform = new EmbeddedPlatform(directory, authority, certificate, supervisor, host, PlatformProfile.Load(directory), tee);
            supervisor.Moved += platform.KmsMoved;
            supervisor.Start();
            return platform;
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }

            if (kms is not null)
            {
                await kms.DisposeAsync().ConfigureAwait(false);
            }

            certificate?.Dispose();
            authority.Dispose();
            throw;
        }
    }

    private static async Task<ISupervisedKms> LaunchAsync(string directory, int port, Action<string> diagnostics, TeeSettings tee, CancellationToken cancellationToken) =>
        await KmsChildProcess.StartAsync(directory, port, diagnostics, cancellationToken, tee).ConfigureAwait(false);

    private static PlatformProfile ProfileOf(PlatformHost host, PlatformCertificateAuthority authority, string ns, string auth, KmsAdvertisement kms, TeeSettings tee) => new()
    {
        Gateway = host.Endpoint,
        CaFingerprint = authority.Fingerprint,
        Namespace = ns,
        Auth = auth,
        Kms = new PlatformKms(kms.Url.AbsoluteUri, kms.Measurement, Convert.ToBase64String(kms.QuotingKey.Span)),
        OwnerKey = "owner.key",
        OwnerId = "owner",
        ClientKey = "client.key",
        ClientId = "cli",
        TeeConfig = tee.Source,
    };

    /// <summary>A restarted KMS listens on another port: clients that read <c>platform.json</c> learn it there.</summary>
    private void KmsMoved(KmsAdvertisement kms)
    {
        lock (_profileLock)
        {
            var profile = ProfileOf(Host, _authority, _profile.Namespace, _profile.Auth, kms, Tee);
            profile.Save(_directory);
            _profile = PlatformProfile.Load(_directory);
        }
    }

    /// <summary>
    /// Stops the gateway, lets running invocations finish and be recorded (up to <paramref name="grace"/>), shuts the
    /// enclaves down, then stops the KMS (and its supervisor, so nothing restarts it).
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

    internal static OwnerKey LoadOrCreateKey(string path) => File.Exists(path) ? OwnerKey.Load(path) : OwnerKey.Create(path);

    /// <summary>
    /// Gives a namespace that has no policy yet its first one: this data directory's owner key as the single owner
    /// (1 of 1), its client key as the one client, no functions, and either simulation evidence allowed (simulation) or
    /// the confidential VM images of the TEE configuration trusted (tdx, snp). An existing policy is left as its owners made it.
    /// </summary>
    internal static async Task EnsurePolicyAsync(KmsClient kms, string ns, OwnerKey owner, OwnerKey client, TeeSettings tee, CancellationToken cancellationToken)
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
            AllowSimulation = tee.IsSimulated,
            Functions = [],
            Clients = [new PolicyPrincipal { Id = "cli", PublicKey = client.PublicKeyBase64 }],
            ConfidentialVms = tee.IsSimulated ? [] : tee.Vms,
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
