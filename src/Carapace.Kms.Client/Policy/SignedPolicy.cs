using System.Text;
using System.Text.Json;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// The document owners submit: <c>{"policy": "&lt;policy JSON text&gt;", "signatures": [{"owner", "signature"}]}</c>.
/// The policy is carried as a string so the exact bytes that were signed are the bytes that are verified.
/// </summary>
public sealed record SignedPolicy
{
    /// <summary>The largest document accepted, in bytes.</summary>
    public const int MaxBytes = (2 * PolicyReader.MaxBytes) + (64 * 1024);

    /// <summary>The exact policy JSON text the signatures cover (as UTF-8).</summary>
    public required string PolicyText { get; init; }

    /// <summary>The owners' signatures.</summary>
    public IReadOnlyList<PolicySignature> Signatures { get; init; } = [];

    /// <summary>Parses a signed policy document strictly (the policy inside is not parsed here).</summary>
    /// <exception cref="PolicyException">With <see cref="PolicyRejection.Malformed"/> and every problem found.</exception>
    public static SignedPolicy Parse(ReadOnlySpan<byte> utf8)
    {
        var errors = new List<string>();
        if (utf8.Length > MaxBytes)
        {
            throw new PolicyException(PolicyRejection.Malformed, [$"$: the signed policy document is larger than {MaxBytes} bytes"]);
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new PolicyException(PolicyRejection.Malformed, ["$: the signed policy document is not valid UTF-8"]);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new PolicyException(PolicyRejection.Malformed,
                [$"$: the signed policy document is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})"]);
        }

        using (document)
        {
            try
            {
                return Read(document, errors);
            }
            catch (InvalidOperationException)
            {
                throw new PolicyException(PolicyRejection.Malformed, ["$: the signed policy document contains an invalid escaped character (a lone surrogate)"]);
            }
        }
    }

    private static SignedPolicy Read(JsonDocument document, List<string> errors)
    {
        var root = JsonFields.Open(document.RootElement, "$", errors, "policy", "signatures");
        var text = root?.RequiredString("policy");
        var signatures = PolicySignature.ReadAll(root, errors);

        if (errors.Count > 0 || text is null)
        {
            throw new PolicyException(PolicyRejection.Malformed, errors);
        }

        return new SignedPolicy { PolicyText = text, Signatures = signatures };
    }

    /// <summary>The document as indented UTF-8 JSON, in the form <see cref="Parse"/> reads.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("policy", PolicyText);
            PolicySignature.WriteAll(w, Signatures);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The UTF-8 bytes the signatures cover.</summary>
    public byte[] SignedBytes() => Encoding.UTF8.GetBytes(PolicyText);
}
