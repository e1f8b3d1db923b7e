using System.Globalization;
using System.Text.Json;
using Carapace.Kms.Client.Policy;

namespace Carapace.Kms.Client.Secrets;

/// <summary>
/// The request document owners pass around and submit to change a secret:
/// <code>
/// {"write": {"namespace", "secret", "operation": "put"|"delete", "version", "sealedValueSha256", "expires"},
///  "sealedValue": {"kmsKey", "ephemeralKey", "nonce", "ciphertext"},
///  "signatures": [{"owner", "signature"}]}
/// </code>
/// <c>sealedValue</c> (base64 fields; only for a put) is the value sealed to the KMS (<see cref="SealedSecretValue"/>):
/// no owner, file or log along the way can read it. Each signature is base64 of an ECDSA P-256 / SHA-256 signature (IEEE
/// P1363, 64 bytes) over <see cref="SecretWrite.SignedBytes"/> by the named owner's key.
/// </summary>
public sealed record SignedSecretWrite
{
    /// <summary>The largest document accepted, in bytes (a 64 KiB value sealed and in base64, and every owner's signature).</summary>
    public const int MaxBytes = 128 * 1024;

    /// <summary>What the owners approve.</summary>
    public required SecretWrite Write { get; init; }

    /// <summary>The sealed value of a put; null for a delete.</summary>
    public SealedSecretValue? SealedValue { get; init; }

    /// <summary>The owners' signatures over <see cref="SecretWrite.SignedBytes"/>.</summary>
    public IReadOnlyList<PolicySignature> Signatures { get; init; } = [];

    /// <summary>Parses a document strictly: unknown, duplicate, missing or ill-typed fields are errors, all reported at once.</summary>
    /// <exception cref="SecretWriteException">With <see cref="SecretWriteRejection.Malformed"/> and every problem found.</exception>
    public static SignedSecretWrite Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes)
        {
            throw Malformed($"$: the secret write document is larger than {MaxBytes} bytes");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Malformed($"$: the secret write document is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                throw Malformed("$: the secret write document contains an invalid escaped character (a lone surrogate)");
            }
        }
    }

    /// <summary>Checks what can be checked without the KMS: the fields, and for a put that the sealed value is the one the write names.</summary>
    /// <returns>Every problem, one sentence each; empty when consistent.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = Write.Validate().ToList();
        if (Write.Operation == SecretOperation.Put && SealedValue is null)
        {
            errors.Add("$.sealedValue: a put carries its value sealed to the KMS");
        }
        else if (Write.Operation == SecretOperation.Delete && SealedValue is not null)
        {
            errors.Add("$.sealedValue: a delete carries no value");
        }
        else if (SealedValue is not null && Write.SealedValueSha256 is not null && SealedValue.Sha256() != Write.SealedValueSha256)
        {
            errors.Add("$.sealedValue: it is not the value the write names (its SHA-256 differs from write.sealedValueSha256): "
                + "the value was swapped after the owners signed; propose the write again");
        }

        if (Signatures.Count > PolicyLimits.MaxOwners)
        {
            errors.Add($"$.signatures: {Signatures.Count} signatures; a write carries at most one per owner ({PolicyLimits.MaxOwners})");
        }

        return errors;
    }

    /// <summary>The document as indented UTF-8 JSON, in the form <see cref="Parse"/> reads.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("write");
            w.WriteString("namespace", Write.Namespace);
            w.WriteString("secret", Write.Secret);
            w.WriteString("operation", Write.OperationName);
            w.WriteNumber("version", Write.Version);
            if (Write.SealedValueSha256 is not null)
            {
                w.WriteString("sealedValueSha256", Write.SealedValueSha256);
            }

            w.WriteString("expires", Write.ExpiresText);
            w.WriteEndObject();
            if (SealedValue is not null)
            {
                w.WriteStartObject("sealedValue");
                w.WriteString("kmsKey", SealedValue.KmsKey);
                w.WriteString("ephemeralKey", Convert.ToBase64String(SealedValue.EphemeralKey.Span));
                w.WriteString("nonce", Convert.ToBase64String(SealedValue.Nonce.Span));
                w.WriteString("ciphertext", Convert.ToBase64String(SealedValue.Ciphertext.Span));
                w.WriteEndObject();
            }

            PolicySignature.WriteAll(w, Signatures);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static SignedSecretWrite Read(JsonElement element)
    {
        var errors = new List<string>();
        var root = JsonFields.Open(element, "$", errors, "write", "sealedValue", "signatures");
        SecretWrite? write = null;
        if (root is not null && element.TryGetProperty("write", out var writeElement))
        {
            write = ReadWrite(writeElement, errors);
        }
        else if (root is not null)
        {
            root.Error("write", "required field is missing");
        }

        SealedSecretValue? sealedValue = null;
        if (root is not null && root.Has("sealedValue"))
        {
            sealedValue = ReadSealed(element.GetProperty("sealedValue"), errors);
        }

        var signatures = PolicySignature.ReadAll(root, errors);

        if (errors.Count > 0 || write is null)
        {
            throw new SecretWriteException(SecretWriteRejection.Malformed, errors);
        }

        var document = new SignedSecretWrite { Write = write, SealedValue = sealedValue, Signatures = signatures };
        var problems = document.Validate();
        if (problems.Count > 0)
        {
            throw new SecretWriteException(SecretWriteRejection.Malformed, problems);
        }

        return document;
    }

    private static SecretWrite? ReadWrite(JsonElement element, List<string> errors)
    {
        var fields = JsonFields.Open(element, "$.write", errors, "namespace", "secret", "operation", "version", "sealedValueSha256", "expires");
        if (fields is null)
        {
            return null;
        }

        var ns = fields.RequiredString("namespace");
        var secret = fields.RequiredString("secret");
        var operationText = fields.RequiredString("operation");
        var version = fields.RequiredInteger("version", long.MaxValue);
        var hash = fields.OptionalString("sealedValueSha256");
        var expiresText = fields.RequiredString("expires");
        SecretOperation? operation = operationText switch
        {
            null => null,
            "put" => SecretOperation.Put,
            "delete" => SecretOperation.Delete,
            _ => null,
        };
        if (operationText is not null && operation is null)
        {
            fields.Error("operation", "must be \"put\" or \"delete\"");
        }

        DateTimeOffset? expires = null;
        if (expiresText is not null)
        {
            if (DateTimeOffset.TryParseExact(expiresText, SecretWrite.TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                expires = parsed;
            }
            else
            {
                fields.Error("expires", $"must be a UTC time as {SecretWrite.TimeFormat}, e.g. 2030-01-31T12:00:00Z");
            }
        }

        return ns is null || secret is null || operation is null || version is null || expires is null
            ? null
            : new SecretWrite
            {
                Namespace = ns,
                Secret = secret,
                Operation = operation.Value,
                Version = (long)version.Value,
                SealedValueSha256 = hash,
                Expires = expires.Value,
            };
    }

    private static SealedSecretValue? ReadSealed(JsonElement element, List<string> errors)
    {
        var fields = JsonFields.Open(element, "$.sealedValue", errors, "kmsKey", "ephemeralKey", "nonce", "ciphertext");
        if (fields is null)
        {
            return null;
        }

        var kmsKey = fields.RequiredString("kmsKey");
        if (kmsKey is not null && (kmsKey.Length != 64 || !kmsKey.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')))
        {
            fields.Error("kmsKey", "must be the lower-case hex SHA-256 of the KMS sealing key (64 characters)");
            kmsKey = null;
        }

        var ephemeral = Base64(fields, "ephemeralKey");
        var nonce = Base64(fields, "nonce");
        var ciphertext = Base64(fields, "ciphertext");
        if (nonce is { Length: not SealedSecretValue.NonceSize })
        {
            fields.Error("nonce", $"must be {SealedSecretValue.NonceSize} bytes");
        }

        if (ciphertext is not null && (ciphertext.Length <= SealedSecretValue.TagSize || ciphertext.Length > SecretWrite.MaxValueBytes + SealedSecretValue.TagSize))
        {
            fields.Error("ciphertext", $"must hold a sealed value of 1 to {SecretWrite.MaxValueBytes} bytes");
        }

        return kmsKey is null || ephemeral is null || nonce is null || ciphertext is null
            ? null
            : new SealedSecretValue { KmsKey = kmsKey, EphemeralKey = ephemeral, Nonce = nonce, Ciphertext = ciphertext };
    }

    private static byte[]? Base64(JsonFields fields, string name)
    {
        if (fields.RequiredString(name) is not { } text)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            fields.Error(name, "must be base64");
            return null;
        }
    }

    private static SecretWriteException Malformed(string error) => new(SecretWriteRejection.Malformed, [error]);
}
