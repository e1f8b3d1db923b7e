using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>
/// Host → enclave: turn this stem cell into an instance of one function. The host relays the provisioner's sealed
/// provisioning (readable only inside the enclave) and supplies the module — as WebAssembly bytes, or as a
/// precompiled cache artifact the enclave itself produced earlier and authenticated — and the path of the
/// function's shielded file-system image, if any. None of these are secret: the module's integrity is checked
/// against the measured hash, the artifact against its MAC, the image against its measured Merkle root.
/// </summary>
/// <param name="ProvisionerPublicKey">The provisioner's ephemeral ECDH P-256 public key (65 bytes).</param>
/// <param name="SealedProvisioning">Nonce ‖ AES-GCM ciphertext ‖ tag under the session key.</param>
/// <param name="Module">WebAssembly bytes (empty when <paramref name="CachedArtifact"/> is given).</param>
/// <param name="CachedArtifact">A precompiled module produced by an enclave of the same runtime (empty if none).</param>
/// <param name="ImagePath">Host path of the shielded image, or null.</param>
public sealed record SpecializeMessage(
    ReadOnlyMemory<byte> ProvisionerPublicKey,
    ReadOnlyMemory<byte> SealedProvisioning,
    ReadOnlyMemory<byte> Module,
    ReadOnlyMemory<byte> CachedArtifact,
    string? ImagePath)
{
    /// <summary>
    /// When set, the enclave obtains its keys and secrets from the KMS by attestation instead of from
    /// <see cref="SealedProvisioning"/> (which is then empty).
    /// </summary>
    public KmsProvisioning? Kms { get; init; }

    /// <summary>Encodes the body.</summary>
    public byte[] Encode()
    {
        // Sized up front: a CborWriter left to grow by itself spends ~20× the copy time on a module-sized body.
        var capacity = 256L + ProvisionerPublicKey.Length + SealedProvisioning.Length + Module.Length + CachedArtifact.Length
            + (ImagePath?.Length ?? 0) * 3L
            + (Kms is { } sized ? sized.Function.Length * 3L + sized.Namespace.Length * 3L + sized.Endpoint.Length * 3L + sized.ModuleHash.Length + sized.Manifest.Length : 0);
        var w = new CborWriter(CborConformanceMode.Canonical, initialCapacity: (int)Math.Min(capacity, Array.MaxLength));
        w.WriteStartMap((ImagePath is null ? 4 : 5) + (Kms is null ? 0 : 1));
        if (Kms is { } kms)
        {
            // "kms" sorts before the longer keys in canonical (length-first) order.
            w.WriteTextString("kms");
            w.WriteStartMap(5);
            w.WriteTextString("fn");
            w.WriteTextString(kms.Function);
            w.WriteTextString("ns");
            w.WriteTextString(kms.Namespace);
            w.WriteTextString("url");
            w.WriteTextString(kms.Endpoint);
            w.WriteTextString("module");
            w.WriteByteString(kms.ModuleHash.Span);
            w.WriteTextString("manifest");
            w.WriteByteString(kms.Manifest.Span);
            w.WriteEndMap();
        }

        w.WriteTextString("module");
        w.WriteByteString(Module.Span);
        w.WriteTextString("sealed");
        w.WriteByteString(SealedProvisioning.Span);
        w.WriteTextString("cached");
        w.WriteByteString(CachedArtifact.Span);
        if (ImagePath is not null)
        {
            w.WriteTextString("image");
            w.WriteTextString(ImagePath);
        }

        w.WriteTextString("provisioner");
        w.WriteByteString(ProvisionerPublicKey.Span);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes a body; the byte fields are slices of <paramref name="body"/>.</summary>
    /// <exception cref="ProtocolException">The body is not a well-formed message of this type (malformed CBOR, a wrong type or range, a missing field): the only exception for any body.</exception>
    public static SpecializeMessage Decode(ReadOnlyMemory<byte> body)
    {
        ReadOnlyMemory<byte>? provisioner = null, sealedProvisioning = null, module = null, cached = null;
        string? image = null;
        KmsProvisioning? kms = null;
        Cbor.ReadMap(body, "Specialize", (k, r) =>
        {
            switch (k)
            {
                case "kms": kms = ReadKms(r, body); return true;
                case "module": module = Cbor.ReadBytesSlice(r, body); return true;
                case "sealed": sealedProvisioning = Cbor.ReadBytesSlice(r, body); return true;
                case "cached": cached = Cbor.ReadBytesSlice(r, body); return true;
                case "image": image = r.ReadTextString(); return true;
                case "provisioner": provisioner = r.ReadByteString(); return true;
                default: return false;
            }
        });
        return new SpecializeMessage(
            Cbor.Require(provisioner, "Specialize", "provisioner"), Cbor.Require(sealedProvisioning, "Specialize", "sealed"),
            module ?? ReadOnlyMemory<byte>.Empty, cached ?? ReadOnlyMemory<byte>.Empty, image)
        {
            Kms = kms,
        };
    }

    private static KmsProvisioning ReadKms(CborReader r, ReadOnlyMemory<byte> body)
    {
        string? url = null, ns = null, function = null;
        ReadOnlyMemory<byte>? manifest = null, moduleHash = null;
        var count = r.ReadStartMap() ?? throw new InvalidOperationException("indefinite-length kms map");
        for (var i = 0; i < count; i++)
        {
            switch (r.ReadTextString())
            {
                case "url": url = r.ReadTextString(); break;
                case "ns": ns = r.ReadTextString(); break;
                case "fn": function = r.ReadTextString(); break;
                case "manifest": manifest = Cbor.ReadBytesSlice(r, body); break;
                case "module": moduleHash = r.ReadByteString(); break;
                default: r.SkipValue(); break;
            }
        }

        r.ReadEndMap();
        return new KmsProvisioning(
            Cbor.Require(url, "Specialize.kms", "url"), Cbor.Require(ns, "Specialize.kms", "ns"), Cbor.Require(function, "Specialize.kms", "fn"),
            Cbor.Require(manifest, "Specialize.kms", "manifest"), Cbor.Require(moduleHash, "Specialize.kms", "module"));
    }
}
