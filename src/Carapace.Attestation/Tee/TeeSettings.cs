using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Carapace.Attestation.ConfigFsTsm;

namespace Carapace.Attestation.Tee;

/// <summary>
/// The TEE a Carapace process runs in, and what it trusts of other Carapace processes' hardware: the <c>--tee</c>
/// choice and the TEE configuration file (<c>tee.json</c> in the data directory, or <c>--tee-config FILE</c>), read once
/// at start. Every problem is reported at once (<see cref="TeeConfigurationException"/>); nothing falls back to
/// simulation. The file:
/// <code>
/// {
///   "tee": "tdx",                                    // sim | tdx | snp (what --tee overrides only if it says the same)
///   "tsmPath": "/sys/kernel/config/tsm/report",      // optional: where configfs-tsm is
///   "roots": "roots.pem",                            // optional: replaces the built-in vendor roots (a test PKI)
///   "dcapCollateral": "collateral.json",             // tdx (required): Intel TCB info, QE identity and CRLs (dcap-qvl JSON)
///   "snpVcek": "vcek.pem",                           // snp, optional: a VCEK for reports that carry none
///   "vms": [ { "kind": "tdx", "launchMeasurement": "…" } ]   // the confidential VM images trusted to run the KMS
/// }
/// </code>
/// File names are relative to the file's folder.
/// </summary>
public sealed class TeeSettings
{
    /// <summary>The configuration file's name in a data directory.</summary>
    public const string FileName = "tee.json";

    private static readonly string[] Fields = ["tee", "tsmPath", "roots", "dcapCollateral", "snpVcek", "vms"];

    /// <summary>Simulation, with nothing else configured.</summary>
    public static TeeSettings Simulation { get; } = new() { Kind = TeeKind.Simulation };

    /// <summary>The TEE this process runs in.</summary>
    public required TeeKind Kind { get; init; }

    /// <summary>Where configfs-tsm is (hardware kinds).</summary>
    public string TsmPath { get; init; } = ConfigFsTsmIssuer.DefaultRoot;

    /// <summary>Roots and collateral for checking other processes' hardware evidence.</summary>
    public EvidenceTrust Trust { get; init; } = EvidenceTrust.Default;

    /// <summary>The confidential VM images trusted to run the KMS (hardware kinds: at least one, of this kind).</summary>
    public IReadOnlyList<ConfidentialVm> Vms { get; init; } = [];

    /// <summary>The file these settings were read from (full path), or null.</summary>
    public string? Source { get; init; }

    /// <summary>True for simulation.</summary>
    public bool IsSimulated => Kind == TeeKind.Simulation;

    /// <summary>The configuration file of a data directory.</summary>
    public static string PathIn(string dataDirectory) => System.IO.Path.Combine(dataDirectory, FileName);

    /// <summary>
    /// The settings of a process: <paramref name="kindOption"/> (<c>--tee</c>), else the configuration's <c>tee</c>,
    /// else simulation; the configuration is <paramref name="configOption"/> (<c>--tee-config</c>) or, when absent,
    /// <c>tee.json</c> in <paramref name="dataDirectory"/> if it exists. A hardware kind needs a configuration.
    /// </summary>
    /// <exception cref="TeeConfigurationException">Unknown kind, an unreadable or invalid file, a contradiction, or a hardware kind without configuration.</exception>
    public static TeeSettings Resolve(string? kindOption, string? configOption, string dataDirectory)
    {
        TeeKind? asked = kindOption is null ? null : TeeKinds.Parse(kindOption);
        string? path = null;
        if (configOption is not null)
        {
            path = System.IO.Path.GetFullPath(configOption);
            if (!System.IO.File.Exists(path))
            {
                throw new TeeConfigurationException([$"--tee-config: {path} does not exist"]);
            }
        }
        else if (System.IO.File.Exists(PathIn(dataDirectory)))
        {
            path = System.IO.Path.GetFullPath(PathIn(dataDirectory));
        }

        var settings = path is null ? null : Load(path);
        if (asked is { } kind && settings is not null && settings.Kind != kind)
        {
            throw new TeeConfigurationException([
                $"--tee {TeeKinds.Name(kind)}, but {path} says \"tee\": \"{TeeKinds.Name(settings.Kind)}\"; make them agree (the TEE is chosen once, never silently)"]);
        }

        var chosen = asked ?? settings?.Kind ?? TeeKind.Simulation;
        if (chosen != TeeKind.Simulation && settings is null)
        {
            throw new TeeConfigurationException([
                $"--tee {TeeKinds.Name(chosen)} needs a TEE configuration naming the confidential VM images to trust (\"vms\")"
                + (chosen == TeeKind.Tdx ? " and Intel's collateral (\"dcapCollateral\")" : "")
                + $": write {PathIn(dataDirectory)} or pass --tee-config FILE (see docs/attestation.md)"]);
        }

        return settings ?? Simulation;
    }

    /// <summary>Reads and checks a configuration file, reporting every problem at once.</summary>
    /// <exception cref="TeeConfigurationException">The file cannot be read or has problems.</exception>
    public static TeeSettings Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TeeConfigurationException($"the TEE configuration {full} cannot be read ({e.Message})", e);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new TeeConfigurationException($"the TEE configuration {full} is not valid JSON (line {(e.LineNumber ?? 0) + 1})", e);
        }

        using (document)
        {
            var errors = new List<string>();
            var settings = Read(document.RootElement, full, errors);
            if (settings is null || errors.Count > 0)
            {
                throw new TeeConfigurationException([.. errors.Select(e => $"{full}: {e}")]);
            }

            return settings;
        }
    }

    /// <summary>Opens this process's evidence backend: the simulation key in <paramref name="simulationDirectory"/>, or the hardware (probed now).</summary>
    /// <exception cref="TeeConfigurationException">The hardware is missing or of another kind.</exception>
    /// <exception cref="Envelope.Keys.KeyFileException">The simulation quoting key cannot be created or read.</exception>
    public TeeBackend OpenBackend(string simulationDirectory, TimeProvider? timeProvider = null) =>
        IsSimulated ? TeeBackend.Simulation(simulationDirectory, timeProvider) : TeeBackend.Hardware(Kind, TsmPath);

    /// <summary>One line for logs and banners.</summary>
    public string Describe() => IsSimulated
        ? "sim (SIMULATION: no hardware protection)"
        : $"{TeeKinds.Name(Kind)} (configfs-tsm at {TsmPath}; {Vms.Count} trusted VM image(s){(Trust.HasCustomRoots ? "; CUSTOM ROOTS, not the vendor's" : "")}; {Source})";

    private static TeeSettings? Read(JsonElement root, string path, List<string> errors)
    {
        var fields = TeeJson.Open(root, "$", errors, Fields);
        if (fields is null)
        {
            return null;
        }

        var folder = System.IO.Path.GetDirectoryName(path)!;
        var kindName = fields.String("tee", required: true);
        if (kindName is null)
        {
            return null;
        }

        if (!TeeKinds.TryParse(kindName, out var kind))
        {
            fields.Error("tee", $"'{kindName}' is not a TEE; use {TeeKinds.Choices}");
            return null;
        }

        if (kind == TeeKind.Simulation)
        {
            foreach (var name in Fields.Skip(1).Where(fields.Has))
            {
                fields.Error(name, "is only for \"tee\": \"tdx\" or \"snp\"");
            }

            return Simulation;
        }

        var tsmPath = fields.String("tsmPath", required: false) ?? ConfigFsTsmIssuer.DefaultRoot;
        if (!System.IO.Path.IsPathFullyQualified(tsmPath))
        {
            fields.Error("tsmPath", $"'{tsmPath}' must be an absolute path");
        }

        var roots = LoadFile(fields, "roots", folder, (p, name) => TrustAnchors.Custom([.. PemOrDer(p, name)]));
        DcapCollateral? collateral = null;
        if (fields.Has("dcapCollateral") && kind != TeeKind.Tdx)
        {
            fields.Error("dcapCollateral", "is Intel collateral, only for \"tee\": \"tdx\"");
        }
        else if (kind == TeeKind.Tdx && !fields.Has("dcapCollateral"))
        {
            // Without it no TDX TCB can be evaluated, and an unevaluated TCB is never accepted: nothing would be trusted.
            fields.Error("dcapCollateral", "is required for \"tee\": \"tdx\": Intel's TCB info and QE identity for this platform (see docs/attestation.md), without which no TDX VM's TCB can be accepted");
        }
        else
        {
            collateral = LoadFile(fields, "dcapCollateral", folder, (p, _) => DcapCollateral.Parse(System.IO.File.ReadAllBytes(p)));
        }

        SnpCollateral? vcek = null;
        if (fields.Has("snpVcek") && kind != TeeKind.Snp)
        {
            fields.Error("snpVcek", "is an AMD certificate, only for \"tee\": \"snp\"");
        }
        else
        {
            vcek = LoadFile(fields, "snpVcek", folder, (p, name) => new SnpCollateral(PemOrDer(p, name)[0]));
        }

        var vms = new List<ConfidentialVm>();
        foreach (var (item, itemPath) in fields.Array("vms", required: true))
        {
            if (ConfidentialVm.Read(item, itemPath, errors) is { } vm)
            {
                errors.AddRange(vm.Validate(itemPath));
                if (vm.Kind != TeeKinds.EvidenceOf(kind))
                {
                    errors.Add($"{itemPath}.kind: a \"tee\": \"{kindName}\" platform trusts {kindName} VM images, not {EvidenceKinds.Name(vm.Kind)}");
                }

                vms.Add(vm);
            }
        }

        if (fields.Has("vms") && vms.Count == 0 && !errors.Any(e => e.StartsWith("$.vms", StringComparison.Ordinal)))
        {
            fields.Error("vms", "name at least one trusted confidential VM image (its launch measurement)");
        }

        return new TeeSettings
        {
            Kind = kind,
            TsmPath = tsmPath,
            Trust = new EvidenceTrust { Roots = roots ?? TrustAnchors.BuiltIn, DcapCollateral = collateral, SnpCollateral = vcek },
            Vms = vms,
            Source = path,
        };
    }

    private static T? LoadFile<T>(TeeJson fields, string name, string folder, Func<string, string, T> load)
        where T : class
    {
        if (fields.String(name, required: false) is not { } relative)
        {
            return null;
        }

        var full = System.IO.Path.GetFullPath(relative, folder);
        try
        {
            return load(full, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AttestationException or System.Security.Cryptography.CryptographicException)
        {
            fields.Error(name, $"{full} cannot be used ({e.Message})");
            return null;
        }
    }

    private static List<X509Certificate2> PemOrDer(string path, string name)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf("-----BEGIN"u8) >= 0
            ? Dcap.PemCertificates.Read(bytes, $"{name} file")
            : [X509CertificateLoader.LoadCertificate(bytes)];
    }
}
