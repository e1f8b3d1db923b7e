using System.Diagnostics;
using System.Security.Cryptography;
using Carapace.Attestation.Tee;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.Runtime;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Kms.Client;
using Carapace.Protocol;

namespace Carapace.Enclave.Host;

/// <summary>Specialisation: a function's keys and secrets, provisioned or from the KMS, its image and its code.</summary>
internal sealed partial class EnclaveHost
{
    /// <summary>
    /// Loads a function: its keys and secrets come either sealed from a provisioner (possibly this enclave itself,
    /// for warm-up) or from the KMS by attestation.
    /// </summary>
    internal SpecializedMessage Specialize(SpecializeMessage request, EnclaveSession session)
    {
        if (_function is not null)
        {
            throw new SpecializationException("this enclave is already specialised; start another one");
        }

        return request.Kms is { } kms ? SpecializeFromKms(request, kms) : SpecializeProvisioned(request, session);
    }

    private SpecializedMessage SpecializeProvisioned(SpecializeMessage request, EnclaveSession session)
    {
        ProvisioningPayload payload;
        try
        {
            payload = session.OpenProvisioning(request.ProvisionerPublicKey.Span, request.SealedProvisioning.Span);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw new SpecializationException("provisioning rejected: " + e.Message);
        }

        using (payload)
        {
            var manifest = DecodeManifest(payload.Manifest);
            return Load(request, manifest, payload.Manifest, payload.ModuleHash, (loaded, measurement) =>
            {
                var image = MountImage(manifest, request.ImagePath, payload.ImageKey);
                var code = SealedCodeOf(manifest, image) ?? loaded;
                // The function gets its own (pinned) copies of keys and secrets; the payload is zeroed on the way out.
                _function = new LoadedFunction(code, manifest,
                    FunctionKeys.Fixed(payload.Input.ToEdgeKey(), payload.Output.ToEdgeKey(), payload.Log.ToEdgeKey()),
                    [.. payload.Secrets.Select(s => new KeyValuePair<string, byte[]>(s.Key, PinnedCopy(s.Value)))], image);
                DisposeStub(loaded, code);
                return session.Confirm(measurement);
            });
        }
    }

    private SpecializedMessage SpecializeFromKms(SpecializeMessage request, KmsProvisioning kms)
    {
        if (kms.ModuleHash.Length != SHA256.HashSizeInBytes)
        {
            throw new SpecializationException("the module hash in the KMS provisioning is not 32 bytes");
        }

        var manifestBytes = kms.Manifest.ToArray();
        var manifest = DecodeManifest(manifestBytes);
        return Load(request, manifest, manifestBytes, kms.ModuleHash.ToArray(), (loaded, measurement) =>
        {
            // A fresh receipt key per specialisation, attested once here; every invocation signs with it.
            var (entitlement, signer) = _kms.Attest(kms.Endpoint, kms.Namespace, kms.Function, measurement);
            var secrets = new List<KeyValuePair<string, byte[]>>();
            InvocationReceipts? receipts = null;
            try
            {
                receipts = new InvocationReceipts(kms.Namespace, kms.Function, measurement, signer);
                // Candidates for the image's key, best first: this image's own key, the function's, the namespace's.
                // None of them, nor the key of another image of the function, is handed to the guest.
                string[] candidates = manifest.Image is { } reference
                    ? [ActionManifest.ImageKeySecretOf(kms.Function, reference), ActionManifest.ImageKeySecretOf(kms.Function), ActionManifest.ImageKeySecret]
                    : [ActionManifest.ImageKeySecretOf(kms.Function), ActionManifest.ImageKeySecret];
                byte[]? imageKey = null;
                var rank = candidates.Length;
                foreach (var secret in entitlement.Secrets)
                {
                    if (!ActionManifest.IsImageKeySecret(secret.Name, kms.Function))
                    {
                        secrets.Add(new KeyValuePair<string, byte[]>(secret.Name, PinnedCopy(secret.Value)));
                        continue;
                    }

                    var candidate = Array.IndexOf(candidates, secret.Name);
                    if (candidate >= 0 && candidate < rank)
                    {
                        if (imageKey is not null)
                        {
                            CryptographicOperations.ZeroMemory(imageKey);
                        }

                        imageKey = PinnedCopy(secret.Value);
                        rank = candidate;
                    }
                }

                IFileSystem? image;
                try
                {
                    image = MountImage(manifest, request.ImagePath, imageKey);
                }
                finally
                {
                    if (imageKey is not null)
                    {
                        CryptographicOperations.ZeroMemory(imageKey);
                    }
                }

                // Sealed code is read only now, with the image key the KMS released for this measurement.
                var code = SealedCodeOf(manifest, image) ?? loaded;
                // The edge keys move to the function; the entitlement's secret copies are zeroed here.
                _function = new LoadedFunction(code, manifest, FunctionKeys.Entitled([.. entitlement.EdgeKeys]), secrets, image, receipts);
                DisposeStub(loaded, code);
                return [];
            }
            catch
            {
                if (receipts is null)
                {
                    signer.Dispose();
                }
                else
                {
                    receipts.Dispose();
                }

                secrets.ForEach(s => CryptographicOperations.ZeroMemory(s.Value));
                foreach (var key in entitlement.EdgeKeys)
                {
                    key.Dispose();
                }

                throw;
            }
            finally
            {
                foreach (var secret in entitlement.Secrets)
                {
                    secret.Dispose();
                }
            }
        });
    }

    /// <summary>
    /// Loads and checks the code, computes the measurement and lets <paramref name="bind"/> attach keys to it;
    /// returns the specialised message with <paramref name="bind"/>'s confirmation.
    /// </summary>
    private SpecializedMessage Load(SpecializeMessage request, FunctionManifest manifest, byte[] manifestBytes, byte[] moduleHash,
        Func<IFunctionCode, byte[], byte[]> bind)
    {
        // The runtime identity differs between the two enclaves anyway; this says so before anything is loaded.
        if (EnclaveRuntime.For(manifest) != _engine.Runtime)
        {
            throw new SpecializationException(
                $"this is the {_engine.Runtime} enclave ({_engine.Runtime.Executable}); the function's manifest is for the {EnclaveRuntime.For(manifest)} enclave ({EnclaveRuntime.For(manifest).Executable})");
        }

        var watch = Stopwatch.StartNew();
        var (code, artifact) = _engine.Load(manifest, request, moduleHash);
        var loadMicros = (long)watch.Elapsed.TotalMicroseconds;
        try
        {
            var measurement = Measurement.Compute(_runtimeIdentity, moduleHash, manifestBytes);
            var confirmation = bind(code, measurement);
            return new SpecializedMessage(measurement, confirmation, artifact, artifact.Length > 0, loadMicros);
        }
        catch
        {
            code.Dispose();
            throw;
        }
    }

    private static FunctionManifest DecodeManifest(byte[] encoded)
    {
        try
        {
            return FunctionManifest.Decode(encoded);
        }
        catch (FormatException e)
        {
            throw new SpecializationException(e.Message);
        }
    }
}
