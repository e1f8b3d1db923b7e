using System.Text.Json;
using Carapace.Attestation;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// Reads policy JSON strictly into a <see cref="KmsPolicy"/>: every structural problem (not JSON, unknown or duplicate
/// fields, wrong types, missing required fields) is collected; consistency is left to <see cref="PolicyValidator"/>.
/// </summary>
internal static class PolicyReader
{
    /// <summary>The largest policy text accepted, in UTF-8 bytes.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The shapes a measurement rule may take, for messages.</summary>
    internal const string Shapes = "exactly one of 'hash', 'workload', or 'signer' with 'productId' and 'minSvn'";

    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 16 };
    private static readonly System.Text.UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The policy, or null with <paramref name="errors"/> filled.</summary>
    public static KmsPolicy? Read(string text, List<string> errors)
    {
        int length;
        try
        {
            length = s_strictUtf8.GetByteCount(text);
        }
        catch (System.Text.EncoderFallbackException)
        {
            errors.Add("$: the policy text contains a lone surrogate (invalid UTF-16)");
            return null;
        }

        if (length > MaxBytes)
        {
            errors.Add($"$: the policy is larger than {MaxBytes} bytes");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, s_options);
        }
        catch (JsonException e)
        {
            errors.Add($"$: not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
            return null;
        }

        using (document)
        {
            try
            {
                return Read(document, errors);
            }
            catch (InvalidOperationException)
            {
                errors.Add("$: the policy contains an invalid escaped character (a lone surrogate)");
                return null;
            }
        }
    }

    private static KmsPolicy? Read(JsonDocument document, List<string> errors)
    {
        var root = JsonFields.Open(document.RootElement, "$", errors,
            "namespace", "version", "owners", "approvals", "allowSimulation", "functions", "secrets", "chains", "clients", "confidentialVms");
        if (root is null)
        {
            return null;
        }

        var policy = new KmsPolicy
        {
            Namespace = root.RequiredString("namespace") ?? "",
            Version = root.RequiredInteger("version", ulong.MaxValue) ?? 0,
            Owners = Principals(root, "owners", required: true, errors),
            Approvals = (int)(root.RequiredInteger("approvals", int.MaxValue) ?? 0),
            AllowSimulation = root.OptionalBool("allowSimulation", fallback: false),
            Functions = root.Array("functions", required: true).Select(f => Function(f.Item, f.Path, errors)).OfType<PolicyFunction>().ToList(),
            Secrets = root.Array("secrets", required: false).Select(s => Secret(s.Item, s.Path, errors)).OfType<PolicySecret>().ToList(),
            Chains = root.Array("chains", required: false).Select(c => Chain(c.Item, c.Path, errors)).OfType<PolicyChain>().ToList(),
            Clients = Principals(root, "clients", required: false, errors),
            ConfidentialVms = root.Array("confidentialVms", required: false)
                .Select(v => Attestation.Tee.ConfidentialVm.Read(v.Item, v.Path, errors)).OfType<Attestation.Tee.ConfidentialVm>().ToList(),
        };
        return errors.Count == 0 ? policy : null;
    }

    private static List<PolicyPrincipal> Principals(JsonFields parent, string name, bool required, List<string> errors)
    {
        var result = new List<PolicyPrincipal>();
        foreach (var (item, path) in parent.Array(name, required))
        {
            var fields = JsonFields.Open(item, path, errors, "id", "publicKey");
            var id = fields?.RequiredString("id");
            var key = fields?.RequiredString("publicKey");
            if (id is not null && key is not null)
            {
                result.Add(new PolicyPrincipal { Id = id, PublicKey = key });
            }
        }

        return result;
    }

    private static PolicyFunction? Function(JsonElement element, string path, List<string> errors)
    {
        var fields = JsonFields.Open(element, path, errors, "name", "measurements", "secrets", "allowDebug");
        if (fields is null)
        {
            return null;
        }

        var name = fields.RequiredString("name");
        var rules = fields.Array("measurements", required: true).Select(m => Rule(m.Item, m.Path, errors)).OfType<MeasurementRule>().ToList();
        var secrets = fields.StringArray("secrets", required: false);
        var debug = fields.OptionalBool("allowDebug", fallback: false);
        return name is null ? null : new PolicyFunction { Name = name, Measurements = rules, Secrets = secrets, AllowDebug = debug };
    }

    private static MeasurementRule? Rule(JsonElement element, string path, List<string> errors)
    {
        var fields = JsonFields.Open(element, path, errors, "kind", "hash", "signer", "productId", "minSvn", "workload");
        if (fields is null)
        {
            return null;
        }

        var kindName = fields.RequiredString("kind");
        EvidenceKind? kind = null;
        if (kindName is not null)
        {
            if (EvidenceKinds.TryParse(kindName, out var parsed) && parsed != EvidenceKind.RaTls && kindName == EvidenceKinds.Name(parsed))
            {
                kind = parsed;
            }
            else
            {
                fields.Error("kind", $"'{kindName}' is not one of sim, sgx, tdx, snp, nitro (RA-TLS evidence is matched by its inner kind)");
            }
        }

        var signerFields = fields.Has("signer") || fields.Has("productId") || fields.Has("minSvn");
        if (fields.Has("hash") || fields.Has("workload"))
        {
            var field = fields.Has("hash") ? "hash" : "workload";
            if (signerFields || (fields.Has("hash") && fields.Has("workload")))
            {
                fields.Error(field, Shapes);
            }

            var value = fields.RequiredString(field);
            return kind is { } k && value is not null
                ? field == "hash" ? new MeasurementRule { Kind = k, Hash = value } : new MeasurementRule { Kind = k, Workload = value }
                : null;
        }

        if (!signerFields)
        {
            errors.Add($"{path}: a rule needs {Shapes}");
            return null;
        }

        var signer = fields.RequiredString("signer");
        var product = fields.RequiredInteger("productId", ushort.MaxValue);
        var svn = fields.RequiredInteger("minSvn", uint.MaxValue);
        return kind is { } kk && signer is not null && product is not null && svn is not null
            ? new MeasurementRule { Kind = kk, Signer = signer, ProductId = (ushort)product, MinSvn = (uint)svn }
            : null;
    }

    private static PolicySecret? Secret(JsonElement element, string path, List<string> errors)
    {
        var fields = JsonFields.Open(element, path, errors, "name", "description");
        var name = fields?.RequiredString("name");
        var description = fields?.OptionalString("description");
        return name is null ? null : new PolicySecret { Name = name, Description = description };
    }

    private static PolicyChain? Chain(JsonElement element, string path, List<string> errors)
    {
        var fields = JsonFields.Open(element, path, errors, "name", "steps");
        var name = fields?.RequiredString("name");
        var steps = fields?.StringArray("steps", required: true);
        return name is null || steps is null ? null : new PolicyChain { Name = name, Steps = steps };
    }
}
