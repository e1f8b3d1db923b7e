using System.Net;
using Carapace.Attestation.Tee;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Kms.Server;

/// <summary>Settings of a <see cref="KmsServer"/>, checked all at once by <see cref="Validate"/> at start-up.</summary>
public sealed class KmsServerOptions
{
    /// <summary>The Carapace data directory; the KMS keeps its database and master key in <c>&lt;DataDirectory&gt;/kms/</c>.</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>The address to listen on. Default: the IPv4 loopback address, reachable from this machine only.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 (the default) picks a free ephemeral port, reported by <see cref="KmsServer.Endpoint"/>.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Where the KMS's own evidence comes from, chosen by whoever starts it (<c>--tee</c>); the server takes ownership and
    /// disposes it. With simulation (<see cref="TeeBackend.Simulation(string, TimeProvider?)"/>, the quoting key in
    /// <c>$CARAPACE_HOME/sim</c> shared with the simulated enclaves of this user) the same key is the one whose evidence
    /// from enclaves the KMS accepts for namespaces with <c>allowSimulation</c>; on hardware (TDX, SEV-SNP) the KMS
    /// accepts no simulation evidence at all, whatever a policy says.
    /// </summary>
    public required TeeBackend Tee { get; init; }

    /// <summary>What enclaves' hardware evidence is checked against (roots, collateral). Default: the built-in vendor roots, no collateral.</summary>
    public EvidenceTrust Trust { get; init; } = EvidenceTrust.Default;

    /// <summary>How long the KMS's RA-TLS server certificate is valid from start-up. Default 30 days; 1 minute to 1 year.</summary>
    public TimeSpan CertificateValidity { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The clock for nonces, request signatures, certificates and audit times.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the KMS and its web server log. Nothing logged contains a secret value, a key or a request body.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary><c>$CARAPACE_HOME/sim</c>, or <c>~/.carapace/sim</c>.</summary>
    public static string DefaultSimulationDirectory => Envelope.Keys.CarapaceHome.SimulationDirectory;

    /// <summary>Every problem with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("KmsServerOptions.DataDirectory is required: the folder where the KMS keeps its database and master key");
        }

        if (Address is null)
        {
            errors.Add("KmsServerOptions.Address must not be null");
        }

        if (Port is < 0 or > 65535)
        {
            errors.Add($"KmsServerOptions.Port must be 0 (any free port) to 65535 (it is {Port})");
        }

        if (Tee is null)
        {
            errors.Add("KmsServerOptions.Tee is required: the backend the KMS's own evidence comes from (TeeBackend.Simulation or TeeBackend.Hardware)");
        }

        if (Trust is null)
        {
            errors.Add("KmsServerOptions.Trust must not be null (use EvidenceTrust.Default)");
        }

        if (CertificateValidity < TimeSpan.FromMinutes(1) || CertificateValidity > TimeSpan.FromDays(366))
        {
            errors.Add($"KmsServerOptions.CertificateValidity must be 1 minute to 1 year (it is {CertificateValidity})");
        }

        if (TimeProvider is null)
        {
            errors.Add("KmsServerOptions.TimeProvider must not be null");
        }

        if (LoggerFactory is null)
        {
            errors.Add("KmsServerOptions.LoggerFactory must not be null (use NullLoggerFactory.Instance)");
        }

        return errors;
    }
}
