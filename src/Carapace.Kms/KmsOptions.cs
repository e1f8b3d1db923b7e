namespace Carapace.Kms;

/// <summary>Settings of a <see cref="KmsService"/>, checked all at once by <see cref="Validate"/> at start-up.</summary>
public sealed class KmsOptions
{
    /// <summary>The Carapace data directory; the KMS keeps its files in <c>&lt;DataDirectory&gt;/kms/</c> (mode 0700).</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>The clock for nonce expiry, audit times and policy acceptance times.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How long an attestation nonce stays usable. Default 60 s; more than zero and at most one hour.</summary>
    public TimeSpan NonceLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many nonces may be outstanding at once. Default 100 000; 1 to 10 000 000.</summary>
    public int MaxOutstandingNonces { get; init; } = 100_000;

    /// <summary>
    /// The simulation quoting keys (DER SubjectPublicKeyInfo) whose simulation evidence the KMS verifies for namespaces
    /// whose policy sets <c>allowSimulation</c> (see <see cref="KmsService.ReleaseOverRaTls"/>); for every other namespace
    /// simulation evidence is refused whatever this says. Empty by default: no simulation evidence verifies.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> SimulationQuotingKeys { get; init; } = [];

    /// <summary>
    /// What enclaves' hardware evidence (TDX, SEV-SNP) is checked against: the vendor roots built into Carapace unless a
    /// test PKI is named explicitly, and Intel collateral (without which no TDX platform's TCB can be judged, so no
    /// policy's confidential VM accepts it). Default: the built-in roots and no collateral.
    /// </summary>
    public Attestation.Tee.EvidenceTrust Trust { get; init; } = Attestation.Tee.EvidenceTrust.Default;

    /// <summary>Every problem with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("KmsOptions.DataDirectory is required: the folder where the KMS keeps its database and master key");
        }
        else if (DataDirectory.IndexOf('\0') >= 0)
        {
            errors.Add("KmsOptions.DataDirectory contains a NUL character");
        }

        if (TimeProvider is null)
        {
            errors.Add("KmsOptions.TimeProvider must not be null");
        }

        if (NonceLifetime <= TimeSpan.Zero || NonceLifetime > TimeSpan.FromHours(1))
        {
            errors.Add($"KmsOptions.NonceLifetime must be more than zero and at most one hour (it is {NonceLifetime})");
        }

        if (Trust is null)
        {
            errors.Add("KmsOptions.Trust must not be null (use EvidenceTrust.Default)");
        }

        if (SimulationQuotingKeys is null)
        {
            errors.Add("KmsOptions.SimulationQuotingKeys must not be null (use an empty list)");
        }

        if (MaxOutstandingNonces is < 1 or > 10_000_000)
        {
            errors.Add($"KmsOptions.MaxOutstandingNonces must be 1 to 10000000 (it is {MaxOutstandingNonces})");
        }

        return errors;
    }
}
