using System.Security.Cryptography;
using Carapace.Attestation;
using Carapace.Attestation.RaTls;
using Carapace.Kms.Audit;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Client.Secrets;
using Carapace.Kms.Keys;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;
using Carapace.Kms.Storage;

namespace Carapace.Kms;

/// <summary>
/// The Carapace KMS (Palaemon / SCONE CAS analogue) as a library: owner-signed policies, the secret store, nonce-fresh
/// attestation-gated release of secrets and chain keys, and the audit log, over one SQLite database in
/// <c>&lt;DataDirectory&gt;/kms/</c>. This is what the attested-TLS endpoint calls; it does no networking itself.
/// </summary>
/// <remarks>
/// Today the master key is always simulated (<see cref="IsSimulated"/>): show <see cref="Warning"/> wherever the KMS
/// starts. Owners are authenticated by their signatures: k of n on policies and on secret writes
/// (<see cref="WriteSecret"/>), one on secret listings, audit reads and — as a client — client-key requests, which
/// the endpoint checks (signed requests, see <see cref="Client.Api.OwnerRequestSignature"/>).
/// </remarks>
public sealed class KmsService : IDisposable
{
    private readonly KmsMasterKey _master;
    private readonly KmsDatabase _database;
    private readonly NonceRegistry _nonces;
    private readonly SecretStore _secrets;
    private readonly SecretSealingKey _sealing;
    private readonly SecretWrites _writes;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<ReadOnlyMemory<byte>> _simulationKeys;
    private readonly Attestation.Tee.EvidenceTrust _trust;
    private readonly EvidenceVerifiers _verifiers = EvidenceVerifiers.CreateDefault();
    private bool _disposed;

    /// <summary>Opens (creating on first start) the KMS in <see cref="KmsOptions.DataDirectory"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="KmsKeyFileException">The master key file is unreadable, too widely readable or damaged.</exception>
    /// <exception cref="SecretStoreException">The database was created under another master key.</exception>
    public KmsService(KmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid KMS options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        var directory = Path.Combine(Path.GetFullPath(options.DataDirectory), "kms");
        _time = options.TimeProvider;
        _simulationKeys = [.. options.SimulationQuotingKeys.Select(k => (ReadOnlyMemory<byte>)k.ToArray())];
        _trust = options.Trust;
        _master = KmsMasterKey.OpenSimulated(options.DataDirectory);
        try
        {
            _database = new KmsDatabase(Path.Combine(directory, "kms.db"));
            var time = options.TimeProvider;
            var anchorKey = _master.DerivePurposeKey("carapace/kms/audit-anchor/v1");
            var policyKey = _master.DerivePurposeKey("carapace/kms/policy-row/v1");
            try
            {
                Audit = new AuditLog(_database, anchorKey, time);
                Policies = new PolicyStore(_database, Audit, policyKey, time);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(anchorKey);
                CryptographicOperations.ZeroMemory(policyKey);
            }

            _secrets = new SecretStore(_database, _master, Audit, time);
            _sealing = new SecretSealingKey(_master);
            _writes = new SecretWrites(Policies, _secrets, _sealing, Audit, time);
            Releases = new KeyReleaseService(Policies, _secrets, _master, Audit);
            ClientKeys = new ClientKeyService(Policies, _master, Audit);
            _nonces = new NonceRegistry(time, options.NonceLifetime, options.MaxOutstandingNonces);
        }
        catch
        {
            _database?.Dispose();
            _master.Dispose();
            throw;
        }
    }

    /// <summary>True while the master key is not hardware-sealed (today: always). See <see cref="KmsMasterKey"/>.</summary>
    public bool IsSimulated => _master.IsSimulated;

    /// <summary>What is insecure about this KMS and what real sealing replaces it with; null when nothing is.</summary>
    public string? Warning => _master.Warning;

    /// <summary>The audit log: read it, verify it, publish its head.</summary>
    public AuditLog Audit { get; }

    /// <summary>The policy store (history, namespaces).</summary>
    public PolicyStore Policies { get; }

    /// <summary>The release decisions, for callers that check freshness themselves.</summary>
    public KeyReleaseService Releases { get; }

    /// <summary>The release of chains' client-side edge keys to authenticated clients (the <c>/v1/client-keys</c> endpoint authenticates them).</summary>
    internal ClientKeyService ClientKeys { get; }

    /// <summary>The secret store itself, for this assembly's tests.</summary>
    internal SecretStore Secrets => _secrets;

    /// <summary>Accepts a signed policy document (see <see cref="PolicyStore.Apply"/> for the rules).</summary>
    /// <exception cref="PolicyException">Rejected, with every reason.</exception>
    public PolicyUpdate SetPolicy(ReadOnlySpan<byte> signedPolicy)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Policies.Apply(signedPolicy);
    }

    /// <summary>The current policy of <paramref name="ns"/>, or null.</summary>
    public StoredPolicy? GetPolicy(string ns)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Policies.Current(ns);
    }

    /// <summary>
    /// The public half of the KMS's secret-sealing key (DER SubjectPublicKeyInfo): owners seal the values of secret writes
    /// to it (<see cref="SecretWriteSigner.Propose"/>). Derived from the master key, so it is the same after a restart.
    /// </summary>
    public ReadOnlyMemory<byte> SecretSealingPublicKey => _sealing.PublicKey;

    /// <summary>
    /// Applies an owner-approved secret write (a <see cref="SignedSecretWrite"/> document): it must name
    /// <paramref name="ns"/>, <paramref name="secret"/> and <paramref name="operation"/>, carry the approvals (k of n
    /// owner signatures) the namespace's current policy requires, be the secret's next write and not have expired; a put
    /// must be of a secret the policy declares, its value sealed to <see cref="SecretSealingPublicKey"/>. Every outcome is audited.
    /// </summary>
    /// <exception cref="SecretWriteException">Refused, with every reason; nothing changed.</exception>
    /// <exception cref="InvalidDataException">The audit log's anchor is damaged, so nothing can be recorded.</exception>
    public SecretWriteResult WriteSecret(ReadOnlySpan<byte> document, string ns, string secret, SecretOperation operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _writes.Apply(document, ns, secret, operation);
    }

    /// <summary>
    /// What there is to know about the secrets of <paramref name="ns"/> without their values: each one its current policy
    /// declares, has stored or has written, with its stored version and time and its last write, by name.
    /// </summary>
    public IReadOnlyList<SecretListEntry> ListSecrets(string ns)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(ns);
        var declared = Policies.Current(ns)?.Policy.Secrets.Select(s => s.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var stored = _secrets.List(ns).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var writes = _secrets.LastWrites(ns);
        return [.. declared.Union(stored.Keys).Union(writes.Keys).Order(StringComparer.Ordinal).Select(name => new SecretListEntry(
            name,
            declared.Contains(name),
            stored.TryGetValue(name, out var info) ? info.Version : null,
            info?.CreatedAt,
            writes.TryGetValue(name, out var last) ? last : 0))];
    }

    /// <summary>
    /// Stores a new version of a declared secret <b>without owner approvals</b>: for this assembly's tests, which need
    /// stored values to release. Owners change secrets only through <see cref="WriteSecret"/>.
    /// </summary>
    /// <exception cref="KmsDeniedException">The namespace has no policy (<see cref="KmsDenialReason.UnknownNamespace"/>) or it
    /// does not declare the secret (<see cref="KmsDenialReason.UnknownSecret"/>).</exception>
    /// <exception cref="ArgumentException">The value is empty or longer than <see cref="SecretStore.MaxValueBytes"/>.</exception>
    internal SecretInfo PutSecret(string ns, string name, ReadOnlySpan<byte> value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireDeclared(ns, name);
        return _secrets.Put(ns, name, value);
    }

    /// <summary>Deletes every version of a secret <b>without owner approvals</b> (for this assembly's tests); true when it existed.</summary>
    internal bool DeleteSecret(string ns, string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _secrets.Delete(ns, name);
    }

    /// <summary>Issues a fresh attestation nonce, usable once within <see cref="KmsOptions.NonceLifetime"/>.</summary>
    /// <exception cref="KmsDeniedException">Too many nonces are outstanding (<see cref="KmsDenialReason.TooManyNonces"/>).</exception>
    public IssuedNonce IssueNonce()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _nonces.Issue();
    }

    /// <summary>
    /// Releases what <paramref name="function"/> of <paramref name="ns"/> is entitled to, to the enclave holding
    /// <paramref name="enclavePublicKey"/>. The nonce is used up first, whatever the outcome. The evidence must be bound
    /// to that key — the key the attested TLS channel is authenticated with, so the entitlement can only be sent to that
    /// enclave — and to the nonce, and then pass <see cref="KeyReleaseService.Decide"/>. Every outcome is audited.
    /// </summary>
    /// <remarks>
    /// The binding depends on the evidence: plain evidence must bind <see cref="ReportData.Bind"/>(<paramref name="enclavePublicKey"/>,
    /// <paramref name="nonce"/>). For an RA-TLS certificate's result the verifier has already checked that the evidence
    /// binds the certificate's claims and that their <c>pubkey-hash</c> is the certificate's key; here the certificate's
    /// key (<see cref="AttestationResult.PublicKey"/>) must equal <paramref name="enclavePublicKey"/> and the claims'
    /// <c>nonce</c> must equal <paramref name="nonce"/> (both compared in constant time).
    /// </remarks>
    /// <param name="ns">The namespace.</param>
    /// <param name="function">The function the enclave wants to act as.</param>
    /// <param name="result">The verified evidence (for RA-TLS, the certificate's result; its inner claims are matched).</param>
    /// <param name="nonce">The nonce from <see cref="IssueNonce"/>.</param>
    /// <param name="enclavePublicKey">The DER SubjectPublicKeyInfo of the channel's peer key.</param>
    /// <exception cref="KmsDeniedException">Denied: stale, replayed or unbound evidence, or a policy denial.</exception>
    /// <exception cref="SecretStoreException">A granted secret cannot be decrypted.</exception>
    /// <exception cref="InvalidDataException">The audit log's anchor is damaged, so nothing can be released or recorded.</exception>
    public Entitlement Release(string ns, string function, AttestationResult result, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> enclavePublicKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            _nonces.Consume(nonce);
            if (result.Verified)
            {
                CheckBinding(result, nonce, enclavePublicKey);
            }
        }
        catch (KmsDeniedException e)
        {
            Releases.RecordDenial(ns, function, result, e);
            throw;
        }

        return Releases.Decide(ns, function, result);
    }

    /// <summary>
    /// Releases what <paramref name="function"/> of <paramref name="ns"/> is entitled to, to the enclave that presented
    /// <paramref name="certificate"/> (DER) as its TLS client certificate: the attested-TLS release. The nonce is read
    /// from the certificate's claims and used up first, whatever the outcome; the certificate is verified with the
    /// default verifiers at the KMS's time against <see cref="KmsOptions.Trust"/> (roots, collateral) — trusting
    /// <see cref="KmsOptions.SimulationQuotingKeys"/> only when the namespace's policy sets <c>allowSimulation</c> — and
    /// then bound and decided as in <see cref="Release"/>.
    /// Every outcome is audited.
    /// </summary>
    /// <param name="ns">The namespace.</param>
    /// <param name="function">The function the enclave wants to act as.</param>
    /// <param name="certificate">The client certificate's DER encoding.</param>
    /// <param name="channelPublicKey">The DER SubjectPublicKeyInfo the TLS channel authenticated (the client certificate's key,
    /// as the TLS stack read it).</param>
    /// <exception cref="KmsDeniedException">Denied: unreadable or unverified certificate, unknown or replayed nonce, a
    /// certificate bound to another key or nonce, simulation evidence without <c>allowSimulation</c>, or a policy denial.</exception>
    /// <exception cref="SecretStoreException">A granted secret cannot be decrypted.</exception>
    /// <exception cref="InvalidDataException">The audit log's anchor is damaged, so nothing can be released or recorded.</exception>
    public Entitlement ReleaseOverRaTls(string ns, string function, ReadOnlyMemory<byte> certificate, ReadOnlySpan<byte> channelPublicKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(function);
        RaTlsEvidence? evidence = null;
        AttestationResult? unreadable = null;
        try
        {
            evidence = RaTlsCertificate.Parse(certificate).Evidence.FirstOrDefault(e => e.Unsupported is null);
        }
        catch (AttestationException e)
        {
            unreadable = AttestationResult.Rejected(EvidenceKind.RaTls, e.Failure);
        }

        var policy = Policies.Current(ns)?.Policy;
        var result = unreadable ?? _verifiers.Verify(EvidenceKind.RaTls, certificate, new VerificationOptions
        {
            TimeProvider = _time,
            Roots = _trust.Roots,
            DcapCollateral = _trust.DcapCollateral,
            SnpCollateral = _trust.SnpCollateral,
            SimulationQuotingKeys = policy is { AllowSimulation: true } ? _simulationKeys : [],
        });
        var nonce = evidence is null ? ReadOnlySpan<byte>.Empty : evidence.Nonce.Span;
        try
        {
            _nonces.Consume(nonce);
            if (result.Verified)
            {
                CheckBinding(result, nonce, channelPublicKey);
            }
            else if (evidence?.QuoteKind == EvidenceKind.Simulation && policy is { AllowSimulation: false } && policy.FindFunction(function) is not null)
            {
                throw new KmsDeniedException(KmsDenialReason.SimulationNotAllowed,
                    $"attestation rejected: function '{function}' presented simulation evidence (no hardware protection) "
                    + $"and the policy of namespace '{ns}' does not set allowSimulation");
            }
            else if (evidence?.QuoteKind == EvidenceKind.Simulation && _simulationKeys.Count == 0 && policy?.FindFunction(function) is not null)
            {
                throw new KmsDeniedException(KmsDenialReason.SimulationNotAllowed,
                    $"attestation rejected: function '{function}' presented simulation evidence (no hardware protection), and this KMS "
                    + "trusts no simulation quoting key: it runs in a TEE and accepts hardware evidence only, whatever a policy says");
            }
        }
        catch (KmsDeniedException e)
        {
            Releases.RecordDenial(ns, function, result, e);
            throw;
        }

        return Releases.Decide(ns, function, result);
    }

    /// <summary>Zeroes the keys and closes the database.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _secrets.ZeroKey();
        _sealing.Dispose();
        _database.Dispose();
        _master.Dispose();
    }

    private static void CheckBinding(AttestationResult result, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> channelPublicKey)
    {
        if (result.Kind == EvidenceKind.RaTls)
        {
            if (!CryptographicOperations.FixedTimeEquals(result.PublicKey.Span, channelPublicKey))
            {
                throw new KmsDeniedException(KmsDenialReason.EvidenceNotBound,
                    "attestation rejected: the RA-TLS certificate's attested key is not the key of the TLS channel: the evidence was produced "
                    + "for another key (relayed evidence); present the certificate made for the channel's own key");
            }

            var claimed = result.Claims.FirstOrDefault(c => c.Name == "nonce")?.Bytes;
            if (claimed is null || nonce.IsEmpty || !CryptographicOperations.FixedTimeEquals(claimed, nonce))
            {
                throw new KmsDeniedException(KmsDenialReason.EvidenceNotBound,
                    "attestation rejected: the RA-TLS certificate's evidence does not bind the issued nonce (replayed evidence); "
                    + "ask for a fresh nonce and make a new certificate over it");
            }

            return;
        }

        var bound = result.ReportData.IsEmpty && result.Inner is { } inner ? inner.ReportData : result.ReportData;
        if (!ReportData.Matches(bound.Span, ReportData.Bind(channelPublicKey, nonce)))
        {
            throw new KmsDeniedException(KmsDenialReason.EvidenceNotBound,
                "attestation rejected: the evidence does not bind SHA-256(channel public key) ‖ SHA-256(nonce): it was produced for another key "
                + "or another nonce (replayed or relayed evidence); attest again with the issued nonce over the channel's key");
        }
    }

    private void RequireDeclared(string ns, string name)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(name);
        var policy = Policies.Current(ns)?.Policy
            ?? throw new KmsDeniedException(KmsDenialReason.UnknownNamespace, $"namespace '{ns}' has no policy; its owners must set one first");
        if (!policy.Secrets.Any(s => s.Name == name))
        {
            throw new KmsDeniedException(KmsDenialReason.UnknownSecret,
                $"policy v{policy.Version} of namespace '{ns}' does not declare secret '{name}'; declare it under \"secrets\" first");
        }
    }
}
