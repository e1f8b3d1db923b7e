using System.Security.Cryptography;
using Carapace.Envelope.Keys;

namespace Carapace.Attestation.Simulation;

/// <summary>
/// SIMULATION ONLY — the software stand-in for a quoting enclave: an ECDSA P-256 key kept in an owner-only file.
/// Evidence it signs proves nothing about hardware (anyone who can read the file can forge it), so verifiers accept
/// it only when the caller explicitly trusts this key's <see cref="PublicKey"/>.
/// </summary>
public sealed class SimulatedQuotingService : IDisposable
{
    /// <summary>The name of the key file inside the directory given to <see cref="OpenOrCreate"/>.</summary>
    public const string KeyFileName = "quoting.key";

    private const string KeyPrefix = "carapace-sim-quoting-key-v1:";
    private const string KeyKind = "simulation quoting key";

    private readonly ECDsa _key;
    private readonly byte[] _publicKey;

    private SimulatedQuotingService(ECDsa key)
    {
        _key = key;
        _publicKey = key.ExportSubjectPublicKeyInfo();
        KeyId = ComputeKeyId(_publicKey);
    }

    /// <summary>The quoting key's public half as a DER SubjectPublicKeyInfo: what a verifier must be told to trust.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>The key's identifier: lower-case hex SHA-256 of <see cref="PublicKey"/>.</summary>
    public string KeyId { get; }

    /// <summary>
    /// Loads the quoting key from <c>&lt;directory&gt;/quoting.key</c>, creating the directory (mode 0700) and a fresh
    /// key (mode 0600, written to a temporary file and renamed into place) when there is none. A key file that other
    /// users can access is refused.
    /// </summary>
    /// <exception cref="KeyFileException">The key file cannot be created or read, is accessible by other users, or is damaged.</exception>
    public static SimulatedQuotingService OpenOrCreate(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        KeyFile.CreatePrivateDirectory(directory);

        var path = Path.Combine(directory, KeyFileName);
        if (!File.Exists(path))
        {
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var parameters = fresh.ExportParameters(includePrivateParameters: true);
            try
            {
                KeyFile.WriteSecret(path, KeyPrefix, parameters.D);
            }
            catch (KeyFileException) when (File.Exists(path))
            {
                // Another process created the key first: use its key.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(parameters.D);
            }
        }

        var secret = KeyFile.ReadSecret(path, KeyPrefix, KeyKind);
        var key = ECDsa.Create();
        try
        {
            key.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = secret });
            return new SimulatedQuotingService(key);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new KeyFileException($"{path} is damaged: it does not hold a valid P-256 private key", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>A quoting service with a fresh key that lives only in memory (tests, one-shot demos).</summary>
    public static SimulatedQuotingService CreateEphemeral() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>The identifier of a quoting key: lower-case hex SHA-256 of its DER SubjectPublicKeyInfo.</summary>
    public static string ComputeKeyId(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>Signs <paramref name="data"/> with ECDSA P-256/SHA-256, returning r‖s.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
