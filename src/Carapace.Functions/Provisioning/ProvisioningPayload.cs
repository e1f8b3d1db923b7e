using System.Formats.Cbor;
using System.Security.Cryptography;

namespace Carapace.Functions.Provisioning;

/// <summary>
/// What a provisioner entrusts to one enclave, sealed under the session key: the function's canonical manifest and
/// module hash (so the enclave can refuse a module or manifest the untrusted host swapped), the edge keys of its
/// input, output and log edges, its secrets, and the key of its file-system image. Dispose to zero every key.
/// </summary>
public sealed class ProvisioningPayload : IDisposable
{
    /// <summary>The canonical manifest bytes (<see cref="FunctionManifest.Encode"/>).</summary>
    public required byte[] Manifest { get; init; }

    /// <summary>SHA-256 of the WebAssembly module.</summary>
    public required byte[] ModuleHash { get; init; }

    /// <summary>Key of the edge the function's input arrives on.</summary>
    public required EdgeGrant Input { get; init; }

    /// <summary>Key of the edge the function's output leaves on.</summary>
    public required EdgeGrant Output { get; init; }

    /// <summary>Key of the edge the function's log goes to (the client).</summary>
    public required EdgeGrant Log { get; init; }

    /// <summary>Secret environment variables, added to the manifest's environment inside the enclave only.</summary>
    public IReadOnlyDictionary<string, byte[]> Secrets { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>The image key (32 bytes), when the manifest names an image.</summary>
    public byte[]? ImageKey { get; init; }

    /// <summary>Canonical CBOR; the caller zeroes the result after sealing it.</summary>
    public byte[] Encode()
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(ImageKey is null ? 6 : 7);
        w.WriteTextString("in");
        WriteEdge(w, Input);
        w.WriteTextString("log");
        WriteEdge(w, Log);
        w.WriteTextString("out");
        WriteEdge(w, Output);
        if (ImageKey is not null)
        {
            w.WriteTextString("image");
            w.WriteByteString(ImageKey);
        }

        w.WriteTextString("module");
        w.WriteByteString(ModuleHash);
        w.WriteTextString("secrets");
        w.WriteStartMap(Secrets.Count);
        foreach (var (name, value) in Secrets)
        {
            w.WriteTextString(name);
            w.WriteByteString(value);
        }

        w.WriteEndMap();
        w.WriteTextString("manifest");
        w.WriteByteString(Manifest);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes a payload.</summary>
    /// <exception cref="FormatException">Not a valid payload.</exception>
    public static ProvisioningPayload Decode(ReadOnlyMemory<byte> encoded)
    {
        try
        {
            var r = new CborReader(encoded, CborConformanceMode.Canonical);
            var count = r.ReadStartMap() ?? throw new FormatException("indefinite map");
            byte[]? manifest = null, module = null, image = null;
            EdgeGrant? input = null, output = null, log = null;
            var secrets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                switch (r.ReadTextString())
                {
                    case "in": input = ReadEdge(r); break;
                    case "out": output = ReadEdge(r); break;
                    case "log": log = ReadEdge(r); break;
                    case "image": image = ReadKey(r); break;
                    case "module": module = r.ReadByteString(); break;
                    case "manifest": manifest = r.ReadByteString(); break;
                    case "secrets":
                        var n = r.ReadStartMap() ?? throw new FormatException("indefinite map");
                        for (var j = 0; j < n; j++)
                        {
                            secrets[r.ReadTextString()] = r.ReadByteString();
                        }

                        r.ReadEndMap();
                        break;
                    case var other: throw new FormatException($"unknown provisioning field '{other}'");
                }
            }

            r.ReadEndMap();
            if (module is not { Length: 32 })
            {
                throw new FormatException("the module hash is missing or not 32 bytes");
            }

            return new ProvisioningPayload
            {
                Manifest = manifest ?? throw new FormatException("the manifest is missing"),
                ModuleHash = module,
                Input = input ?? throw new FormatException("the input edge is missing"),
                Output = output ?? throw new FormatException("the output edge is missing"),
                Log = log ?? throw new FormatException("the log edge is missing"),
                Secrets = secrets,
                ImageKey = image,
            };
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new FormatException($"not a valid provisioning payload: {e.Message}", e);
        }
    }

    /// <summary>Zeroes every key and secret.</summary>
    public void Dispose()
    {
        Input.Dispose();
        Output.Dispose();
        Log.Dispose();
        if (ImageKey is not null)
        {
            CryptographicOperations.ZeroMemory(ImageKey);
        }

        foreach (var value in Secrets.Values)
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    private static void WriteEdge(CborWriter w, EdgeGrant edge)
    {
        w.WriteStartArray(4);
        w.WriteTextString(edge.ChainId);
        w.WriteInt32(edge.FromStep);
        w.WriteInt32(edge.ToStep);
        w.WriteByteString(edge.Key);
        w.WriteEndArray();
    }

    private static EdgeGrant ReadEdge(CborReader r)
    {
        if (r.ReadStartArray() != 4)
        {
            throw new FormatException("an edge is [chain, from, to, key]");
        }

        var chain = r.ReadTextString();
        var from = r.ReadInt32();
        var to = r.ReadInt32();
        var key = ReadKey(r);
        r.ReadEndArray();
        try
        {
            return new EdgeGrant(chain, from, to, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] ReadKey(CborReader r)
    {
        var key = r.ReadByteString();
        if (key.Length != 32)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new FormatException("a key is 32 bytes");
        }

        return key;
    }
}
