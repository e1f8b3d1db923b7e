using System.Security.Cryptography;
using System.Text.Json;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client.Release;

namespace Carapace.Kms.Client.Api;

/// <summary>
/// The granted answer of <c>POST /v1/client-keys</c>, written and read without leaving key copies in buffers nobody zeroes:
/// <code>
/// {"namespace": NS, "chain": CHAIN, "steps": n, "policyVersion": v,
///  "edges": [{"from": 0, "to": 1, "key": base64}, {"from": n, "to": n+1, "key": …}, {"from": i, "to": 0, "key": …} for i = 1..n]}
/// </code>
/// Keys are 32 bytes. Reading is strict: unknown, repeated, missing or mistyped fields, and any other set of edges, are refused.
/// </summary>
internal static class ChainKeysCodec
{
    /// <summary>The JSON of <paramref name="keys"/> in one exactly-sized array. The caller zeroes it.</summary>
    public static byte[] Encode(ChainKeys keys)
    {
        using var buffer = new ZeroingBufferWriter(512 + (keys.Edges.Count * 96));
        Span<byte> key = stackalloc byte[EdgeKey.Size];
        try
        {
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("namespace", keys.Namespace);
                w.WriteString("chain", keys.Chain);
                w.WriteNumber("steps", keys.Steps);
                w.WriteNumber("policyVersion", keys.PolicyVersion);
                w.WriteStartArray("edges");
                foreach (var edge in keys.Edges)
                {
                    w.WriteStartObject();
                    w.WriteNumber("from", edge.FromStep);
                    w.WriteNumber("to", edge.ToStep);
                    edge.CopyTo(key);
                    w.WriteBase64String("key", key);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Reads an answer made by <see cref="Encode"/> into new keys (copying them out; the caller zeroes <paramref name="json"/>).</summary>
    /// <exception cref="InvalidDataException">It is not such an answer.</exception>
    public static ChainKeys Decode(ReadOnlySpan<byte> json)
    {
        var edges = new List<EdgeKey>();
        try
        {
            var reader = new Utf8JsonReader(json);
            string? ns = null, chain = null;
            int? steps = null;
            ulong? version = null;
            var sawEdges = false;
            var raw = new List<(int From, int To, byte[] Key)>();
            try
            {
                Expect(ref reader, JsonTokenType.StartObject);
                ReadFields(ref reader, "answer", (string name, ref Utf8JsonReader r) =>
                {
                    switch (name)
                    {
                        case "namespace" when ns is null:
                            ns = r.GetString();
                            return true;
                        case "chain" when chain is null:
                            chain = r.GetString();
                            return true;
                        case "steps" when steps is null:
                            steps = r.GetInt32();
                            return true;
                        case "policyVersion" when version is null:
                            version = r.GetUInt64();
                            return true;
                        case "edges" when !sawEdges:
                            sawEdges = true;
                            ReadEdges(ref r, raw);
                            return true;
                        default:
                            return false;
                    }
                });

                if (reader.Read())
                {
                    throw new InvalidDataException("the answer is not one JSON object");
                }

                if (ns is null || chain is null || steps is not { } n || version is not { } v || !sawEdges)
                {
                    throw new InvalidDataException("a field of namespace, chain, steps, policyVersion and edges is missing");
                }

                foreach (var (from, to, key) in raw)
                {
                    edges.Add(EdgeKey.FromBytes(key, chain, from, to));
                }

                return new ChainKeys(ns, chain, n, v, edges);
            }
            finally
            {
                raw.ForEach(e => CryptographicOperations.ZeroMemory(e.Key));
            }
        }
        catch (InvalidDataException)
        {
            edges.ForEach(k => k.Dispose());
            throw;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            edges.ForEach(k => k.Dispose());
            throw new InvalidDataException($"not a client-keys answer: {e.Message}", e);
        }
    }

    private static void ReadEdges(ref Utf8JsonReader reader, List<(int From, int To, byte[] Key)> edges)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("'edges' is not an array");
        }

        while (Next(ref reader) == JsonTokenType.StartObject)
        {
            int? from = null, to = null;
            byte[]? key = null;
            try
            {
                ReadFields(ref reader, "edge", (string name, ref Utf8JsonReader r) =>
                {
                    switch (name)
                    {
                        case "from" when from is null:
                            from = r.GetInt32();
                            return true;
                        case "to" when to is null:
                            to = r.GetInt32();
                            return true;
                        case "key" when key is null:
                            key = r.GetBytesFromBase64();
                            return true;
                        default:
                            return false;
                    }
                });

                if (from is not { } f || to is not { } t || key is not { Length: EdgeKey.Size })
                {
                    throw new InvalidDataException($"an edge needs from, to and a {EdgeKey.Size}-byte key");
                }

                edges.Add((f, t, key));
                key = null;
            }
            finally
            {
                if (key is not null)
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new InvalidDataException("'edges' holds something other than edge objects");
        }
    }

    /// <summary>Reads one value of a field; false when the field is unknown or already read.</summary>
    private delegate bool FieldReader(string name, ref Utf8JsonReader reader);

    /// <summary>Reads the fields of the object just opened, up to and including its end, each with <paramref name="field"/>.</summary>
    private static void ReadFields(ref Utf8JsonReader reader, string what, FieldReader field)
    {
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            Next(ref reader);
            if (!field(name, ref reader))
            {
                throw new InvalidDataException($"the {what} field '{name}' is unknown or repeated");
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new InvalidDataException($"the {what} is not a JSON object");
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new InvalidDataException("the answer ends early");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new InvalidDataException($"expected {type}, found {reader.TokenType}");
        }
    }
}
