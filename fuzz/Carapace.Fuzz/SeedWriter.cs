using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Fuzz.Targets;
using Carapace.Kms.Api;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;
using Carapace.Protocol;

namespace Carapace.Fuzz;

/// <summary>
/// Writes the seeds of the targets whose inputs Carapace itself encodes (protocol messages and frames, envelope
/// headers, image headers and metadata, KMS answers, signed policies), with Carapace's own encoders, so the corpus
/// follows the formats when they change. Seeds of the other targets are real files copied from the tests' data.
/// Keys are fresh: no seed holds a key that protects anything.
/// </summary>
internal static class SeedWriter
{
    /// <summary>Writes (overwriting) the generated seeds under <paramref name="corpusRoot"/>; returns how many files.</summary>
    public static int Write(string corpusRoot)
    {
        var count = 0;
        void Put(string target, string name, byte[] bytes)
        {
            var directory = Path.Combine(corpusRoot, target);
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
            count++;
        }

        // No seed of a bodiless type (Shutdown, Doorbell) for protocol-message: decoding one runs no Carapace code,
        // and afl-fuzz refuses a seed that shows no instrumentation.
        foreach (var (name, type, body) in Messages())
        {
            Put("protocol-message", name, [(byte)type, .. body]);
        }

        Put("protocol-frames", "session", Frames(Messages().Select(m => (m.Type, m.Body))));
        Put("protocol-frames", "doorbell-and-shutdown", Frames([(MessageType.Doorbell, []), (MessageType.Shutdown, [])]));

        foreach (var (name, envelope) in Envelopes())
        {
            Put("envelope-header", name, envelope);
            var header = EnvelopeHeader.Parse(envelope);
            Put("envelope-metadata", name, envelope[EnvelopeHeader.FixedLength..header.Length]);
        }

        foreach (var (name, image, metadata) in Images())
        {
            Put("image-header", name, image);
            var blockCount = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(blockCount, (ulong)ImageHeader.Read(new MemoryStream(image)).BlockCount - 1);
            Put("image-metadata", name, [.. blockCount, .. metadata]);
        }

        foreach (var (name, bytes) in KmsAnswers())
        {
            Put(name.Split('/')[0], name.Split('/')[1], bytes);
        }

        return count;
    }

    private static IEnumerable<(string Name, MessageType Type, byte[] Body)> Messages()
    {
        var key = new byte[65];
        key[0] = 4;
        RandomNumberGenerator.Fill(key.AsSpan(1));
        var hash = SHA256.HashData("carapace fuzz"u8);
        yield return ("ready", MessageType.Ready, new ReadyMessage(ReadyMessage.CurrentVersion, hash, key, 4242, Simulation: true, Lane: true).Encode());
        yield return ("specialize-module", MessageType.Specialize,
            new SpecializeMessage(key, RandomNumberGenerator.GetBytes(60), "\0asm\u0001\0\0\0"u8.ToArray(), ReadOnlyMemory<byte>.Empty, "/var/lib/carapace/images/0a1b.img").Encode());
        yield return ("specialize-kms", MessageType.Specialize,
            new SpecializeMessage(key, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, RandomNumberGenerator.GetBytes(48), null)
            {
                Kms = new KmsProvisioning("https://127.0.0.1:7443", "acme", "resize", "{\"image\":null}"u8.ToArray(), hash),
            }.Encode());
        yield return ("specialized", MessageType.Specialized, new SpecializedMessage(hash, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(40), Compiled: true, 1234).Encode());
        yield return ("invoke", MessageType.Invoke, new InvokeMessage(7, RandomNumberGenerator.GetBytes(96)).Encode());
        yield return ("result-completed", MessageType.Result,
            new ResultMessage(7, InvocationStatus.Completed, 0, "", RandomNumberGenerator.GetBytes(80), RandomNumberGenerator.GetBytes(20), new ResourceUsage(1500, 90000, 1 << 20, 300), RandomNumberGenerator.GetBytes(64)).Encode());
        yield return ("result-trap", MessageType.Result,
            new ResultMessage(8, InvocationStatus.Trap, 134, "wasm trap: unreachable", ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, new ResourceUsage(10, 5, 65536, 3)).Encode());
        yield return ("failure", MessageType.Failure, new FailureMessage("specialize", "the module hash does not match the measurement", Fatal: false, "cached-artifact").Encode());
    }

    private static byte[] Frames(IEnumerable<(MessageType Type, byte[] Body)> frames)
    {
        var output = new MemoryStream();
        using (var channel = new FrameChannel(Stream.Null, output))
        {
            foreach (var (type, body) in frames)
            {
                channel.Write(type, body);
            }

            return output.ToArray();
        }
    }

    private static IEnumerable<(string Name, byte[] Envelope)> Envelopes()
    {
        using var key = EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(EdgeKey.Size), "acme/thumbnail", 1, 2);
        yield return ("plain", EnvelopeSealer.Seal(key, "hello"u8, new SealOptions { Function = "acme/resize", ContentType = "text/plain", ChunkSize = 64 }));
        yield return ("padded-attributes", EnvelopeSealer.Seal(key, RandomNumberGenerator.GetBytes(200), new SealOptions
        {
            Function = "acme/resize",
            ContentType = "application/json",
            Pad = true,
            Attributes = new Dictionary<string, string> { ["activation"] = "5f3c", ["trace"] = "on" },
        }));
        yield return ("empty", EnvelopeSealer.Seal(key, [], new SealOptions()));
    }

    private static IEnumerable<(string Name, byte[] Image, byte[] Metadata)> Images()
    {
        var source = Directory.CreateTempSubdirectory("carapace-fuzz-seed-");
        try
        {
            File.WriteAllText(Path.Combine(source.FullName, "model.bin"), "weights");
            Directory.CreateDirectory(Path.Combine(source.FullName, "static", "css"));
            File.WriteAllText(Path.Combine(source.FullName, "static", "css", "site.css"), "body{}");
            File.WriteAllBytes(Path.Combine(source.FullName, "static", "empty"), []);
            var imageKey = RandomNumberGenerator.GetBytes(32);
            using var image = new MemoryStream();
            ImagePacker.Pack(source.FullName, image, RandomNumberGenerator.GetBytes(ImageLayout.IdSize), imageKey);
            var entries = SourceTreeWalker.Walk(source.FullName);
            var metadata = ImageMetadata.Encode(entries, out var length);
            yield return ("tree", image.ToArray(), metadata[..(int)length]);
        }
        finally
        {
            source.Delete(recursive: true);
        }
    }

    private static IEnumerable<(string Name, byte[] Bytes)> KmsAnswers()
    {
        var edges = new List<EdgeKey>
        {
            EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(EdgeKey.Size), "pipeline", 0, 1),
            EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(EdgeKey.Size), "pipeline", 2, 3),
            EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(EdgeKey.Size), "pipeline", 1, 0),
            EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(EdgeKey.Size), "pipeline", 2, 0),
        };
        using (var keys = new ChainKeys("acme", "pipeline", 2, 3, edges))
        {
            yield return ("kms-chain-keys/two-steps", ChainKeysCodec.Encode(keys));
        }

        var secret = new SecretValue("acme", "db-password", 2, RandomNumberGenerator.GetBytes(24));
        var stepKey = EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(EdgeKey.Size), "pipeline", 1, 2);
        var measurement = Convert.ToHexStringLower(SHA256.HashData("module"u8));
        using var entitlement = new Entitlement("acme", "resize", 3, EvidenceKind.Sgx, measurement, [secret], [new ChainStep("pipeline", 1, 2)], [stepKey]);
        var plaintext = EntitlementCodec.Encode(entitlement);
        yield return ("kms-entitlement/secret-step-edge", plaintext);
        using (var empty = new Entitlement("acme", "f", 1, EvidenceKind.Simulation, measurement, [], [], []))
        {
            yield return ("kms-entitlement/empty", EntitlementCodec.Encode(empty));
        }

        var sealedRelease = ReleaseSealing.Seal(KmsTargets.EnclavePublicKey, "fuzz", "target", plaintext);
        yield return ("kms-release/sealed", JsonSerializer.SerializeToUtf8Bytes(sealedRelease, KmsJson.Default.ReleaseResponse));

        using var alice = OwnerKey.Generate();
        using var bob = OwnerKey.Generate();
        var policy = $$"""
            {"namespace": "acme", "version": 3, "approvals": 2, "allowSimulation": true,
             "owners": [{"id": "alice", "publicKey": "{{alice.PublicKeyBase64}}"}, {"id": "bob", "publicKey": "{{bob.PublicKeyBase64}}"}],
             "functions": [
               {"name": "resize", "allowDebug": false, "secrets": ["db-password"], "measurements": [
                 {"kind": "sim", "hash": "{{measurement}}"},
                 {"kind": "sgx", "signer": "{{measurement}}", "productId": 1, "minSvn": 2},
                 {"kind": "snp", "hash": "{{Convert.ToHexStringLower(SHA384.HashData("snp"u8))}}"},
                 {"kind": "nitro", "hash": "{{Convert.ToHexStringLower(SHA384.HashData("nitro"u8))}}"}]},
               {"name": "thumbnail", "measurements": [{"kind": "tdx", "hash": "{{Convert.ToHexStringLower(SHA384.HashData("tdx"u8))}}"}]}],
             "secrets": [{"name": "db-password", "description": "primary database"}],
             "chains": [{"name": "pipeline", "steps": ["resize", "thumbnail"]}],
             "clients": [{"id": "web", "publicKey": "{{bob.PublicKeyBase64}}"}]}
            """;
        yield return ("kms-policy/full", Encoding.UTF8.GetBytes(policy));
        var minimal = $$"""
            {"namespace": "n", "version": 1, "approvals": 1, "owners": [{"id": "alice", "publicKey": "{{alice.PublicKeyBase64}}"}],
             "functions": [{"name": "f", "measurements": [{"kind": "sgx", "hash": "{{measurement}}"}]}]}
            """;
        yield return ("kms-policy/minimal", Encoding.UTF8.GetBytes(minimal));
        var signed = PolicySigner.AddSignature(PolicySigner.Sign(policy, "alice", alice), "bob", bob);
        yield return ("kms-signed-policy/two-owners", signed.ToJson());
        yield return ("kms-signed-policy/minimal", PolicySigner.Sign(minimal, "alice", alice).ToJson());
    }
}
