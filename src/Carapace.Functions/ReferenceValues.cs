using System.Text.Json;
using System.Text.Json.Serialization;

namespace Carapace.Functions;

/// <summary>
/// The reference values of one Carapace build: the runtime identity of its native enclave, the measurement of its KMS,
/// the SHA-256 of each measured file and the engine settings, written by the build beside the native enclave
/// (<see cref="FileName"/>). Clients, <c>deploy</c>, <c>measure</c> and policy writers take the expected runtime
/// identity from here instead of hashing their own copy of the runtime, so a client built differently — or not built
/// at all — checks a platform against the values its operator or a release publishes. Loading checks that the stated
/// identity follows from the stated file hashes, settings and KMS measurement (<see cref="RuntimeIdentity"/>).
/// </summary>
public sealed class ReferenceValues
{
    /// <summary>The format label this build reads and writes.</summary>
    public const string Format = "carapace reference values v1";

    /// <summary>The file's name, beside the native enclave.</summary>
    public const string FileName = "reference-values.json";

    /// <summary>The environment variable that points at another reference-values file.</summary>
    public const string EnvironmentVariable = "CARAPACE_REFERENCE_VALUES";

    /// <summary>The folder, beside a Carapace program, that holds the native enclave and its reference values.</summary>
    public const string EnclaveFolder = "enclave";

    private ReferenceValues(EnclaveRuntime runtime, byte[] runtimeIdentity, byte[] kmsMeasurement, string engineSettings, IReadOnlyList<byte[]> fileHashes)
    {
        Runtime = runtime;
        RuntimeIdentityValue = runtimeIdentity;
        KmsMeasurement = kmsMeasurement;
        EngineSettingsDescription = engineSettings;
        FileHashes = fileHashes;
    }

    /// <summary>The runtime these values are of (the files they name tell: WASI or JavaScript).</summary>
    public EnclaveRuntime Runtime { get; }

    /// <summary>The runtime identity (32 bytes) every measurement of this build starts from.</summary>
    public byte[] RuntimeIdentityValue { get; }

    /// <summary>The measurement (32 bytes) of the KMS this build's enclave trusts.</summary>
    public byte[] KmsMeasurement { get; }

    /// <summary>The engine settings the identity covers.</summary>
    public string EngineSettingsDescription { get; }

    /// <summary>The SHA-256 of each of the <see cref="Runtime"/>'s files, in that order.</summary>
    public IReadOnlyList<byte[]> FileHashes { get; }

    /// <summary>The default file: <c>enclave/reference-values.json</c> beside the running program.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, EnclaveFolder, FileName);

    /// <summary>The file to read: <paramref name="path"/> if given, else <see cref="EnvironmentVariable"/> if set, else <see cref="DefaultPath"/>.</summary>
    public static string Resolve(string? path = null) => Resolve(path, Environment.GetEnvironmentVariable);

    /// <summary>
    /// The file to read for <paramref name="runtime"/>: for WASI <see cref="Resolve(string?)"/>, for JavaScript its
    /// file (<see cref="EnclaveRuntime.ReferenceValuesFileName"/>) beside that one, so one option or variable names both.
    /// </summary>
    public static string Resolve(EnclaveRuntime runtime, string? path)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var wasi = Resolve(path);
        return runtime == EnclaveRuntime.Wasi || Path.GetFileName(wasi) == runtime.ReferenceValuesFileName
            ? wasi
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(wasi)) ?? ".", runtime.ReferenceValuesFileName);
    }

    internal static string Resolve(string? path, Func<string, string?> environment) =>
        path is { Length: > 0 } ? path
        : environment(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultPath;

    /// <summary>Computes the reference values of the native enclave in <paramref name="enclaveDirectory"/> trusting <paramref name="kmsMeasurement"/>.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static ReferenceValues Compute(string enclaveDirectory, byte[] kmsMeasurement) => Compute(EnclaveRuntime.Wasi, enclaveDirectory, kmsMeasurement);

    /// <summary>Computes the reference values of the native enclave of <paramref name="runtime"/> in <paramref name="enclaveDirectory"/> trusting <paramref name="kmsMeasurement"/>.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static ReferenceValues Compute(EnclaveRuntime runtime, string enclaveDirectory, byte[] kmsMeasurement)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(enclaveDirectory);
        ArgumentNullException.ThrowIfNull(kmsMeasurement);
        var hashes = RuntimeIdentity.HashFiles(runtime, [.. runtime.Files.Select(f => Path.Combine(enclaveDirectory, f))]);
        return new ReferenceValues(runtime, RuntimeIdentity.FromFileHashes(runtime, hashes, kmsMeasurement, runtime.EngineSettingsDescription),
            kmsMeasurement, runtime.EngineSettingsDescription, hashes);
    }

    /// <summary>Reads and checks the reference values of <paramref name="runtime"/> (<see cref="Resolve(EnclaveRuntime, string?)"/>).</summary>
    /// <exception cref="ReferenceValuesException">The file is missing, unreadable, malformed, inconsistent or of the other runtime.</exception>
    public static ReferenceValues Load(EnclaveRuntime runtime, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var values = Load(Resolve(runtime, path));
        return values.Runtime == runtime
            ? values
            : throw new ReferenceValuesException($"the reference values {Resolve(runtime, path)} are of the {values.Runtime} enclave, not the {runtime} one");
    }

    /// <summary>Reads and checks the reference values at <see cref="Resolve(string?)"/>(<paramref name="path"/>).</summary>
    /// <exception cref="ReferenceValuesException">The file is missing, unreadable, malformed or inconsistent; the message says which and what to do.</exception>
    public static ReferenceValues Load(string? path = null)
    {
        var file = Resolve(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ReferenceValuesException(
                $"the reference values {file} do not exist. The build writes them beside the native enclave (dotnet build Carapace.slnx, or ./carapace); " +
                $"to check a platform against published values, point --reference-values or {EnvironmentVariable} at that file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReferenceValuesException($"the reference values {file} cannot be read: {e.Message}");
        }

        if (bytes.Length > 64 * 1024)
        {
            throw new ReferenceValuesException($"the reference values {file} are {bytes.Length} bytes; a reference-values file is well under 64 KiB");
        }

        return Parse(bytes, file);
    }

    /// <summary>Parses and checks reference values; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="ReferenceValuesException">Malformed or inconsistent.</exception>
    public static ReferenceValues Parse(ReadOnlySpan<byte> json, string source)
    {
        ReferenceValuesDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, ReferenceValuesJson.Default.ReferenceValuesDocument);
        }
        catch (JsonException e)
        {
            throw new ReferenceValuesException($"the reference values {source} are not valid: {e.Message}");
        }

        if (document is null)
        {
            throw new ReferenceValuesException($"the reference values {source} are empty (null)");
        }

        var problems = new List<string>();
        if (document.Format != Format)
        {
            problems.Add($"format is '{document.Format}', this build reads '{Format}'");
        }

        if (document.RuntimeIdentityFormat != RuntimeIdentity.Label)
        {
            problems.Add($"runtimeIdentityFormat is '{document.RuntimeIdentityFormat}', this build computes '{RuntimeIdentity.Label}'");
        }

        var identity = Hash(document.RuntimeIdentity, "runtimeIdentity", problems);
        var kms = Hash(document.KmsMeasurement, "kmsMeasurement", problems);
        if (string.IsNullOrEmpty(document.EngineSettings))
        {
            problems.Add("engineSettings is missing");
        }

        var files = document.Files ?? new Dictionary<string, string>();
        // The executable named says which runtime the values are of; the WASI one when none does.
        var runtime = EnclaveRuntime.All.FirstOrDefault(r => r != EnclaveRuntime.Wasi && files.ContainsKey(r.Executable)) ?? EnclaveRuntime.Wasi;
        var unknown = files.Keys.Where(k => !runtime.Files.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            problems.Add($"files names {string.Join(", ", unknown)}, which the runtime identity does not measure (it measures {string.Join(", ", runtime.Files)})");
        }

        var hashes = runtime.Files.Select(name =>
            Hash(files.TryGetValue(name, out var hex) ? hex : null, $"files[\"{name}\"]", problems)).ToList();
        if (problems.Count > 0)
        {
            throw new ReferenceValuesException($"the reference values {source} are malformed: {string.Join("; ", problems)}");
        }

        var expected = RuntimeIdentity.FromFileHashes(runtime, hashes!, kms!, document.EngineSettings!);
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, identity))
        {
            throw new ReferenceValuesException(
                $"the reference values {source} are inconsistent: runtimeIdentity is not the identity of the stated file hashes, engine settings and KMS measurement ({Convert.ToHexStringLower(expected)})");
        }

        return new ReferenceValues(runtime, identity!, kms!, document.EngineSettings!, hashes!);
    }

    /// <summary>The JSON text of these values (indented, fields in a fixed order).</summary>
    public string ToJson() => JsonSerializer.Serialize(
        new ReferenceValuesDocument
        {
            Format = Format,
            RuntimeIdentityFormat = RuntimeIdentity.Label,
            RuntimeIdentity = Convert.ToHexStringLower(RuntimeIdentityValue),
            KmsMeasurement = Convert.ToHexStringLower(KmsMeasurement),
            EngineSettings = EngineSettingsDescription,
            Files = Runtime.Files.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => Convert.ToHexStringLower(FileHashes[p.i]), StringComparer.Ordinal),
        },
        ReferenceValuesJson.Default.ReferenceValuesDocument) + "\n";

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (through a temporary file, so readers never see half of it).</summary>
    public void Write(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, ToJson());
        File.Move(temporary, path, overwrite: true);
    }

    private static byte[]? Hash(string? hex, string field, List<string> problems)
    {
        if (hex is null)
        {
            problems.Add($"{field} is missing");
            return null;
        }

        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            problems.Add($"{field} is not 64 hex digits (a SHA-256 value)");
            return null;
        }

        return Convert.FromHexString(hex);
    }
}

/// <summary>The reference values are missing, unreadable, malformed or inconsistent.</summary>
public sealed class ReferenceValuesException(string message) : Exception(message);

/// <summary>The JSON shape of a reference-values file.</summary>
internal sealed class ReferenceValuesDocument
{
    public string? Format { get; init; }

    public string? RuntimeIdentityFormat { get; init; }

    public string? RuntimeIdentity { get; init; }

    public string? KmsMeasurement { get; init; }

    public string? EngineSettings { get; init; }

    public Dictionary<string, string>? Files { get; init; }
}

/// <summary>Source-generated JSON for <see cref="ReferenceValuesDocument"/>: camelCase, unknown members refused.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ReferenceValuesDocument))]
internal sealed partial class ReferenceValuesJson : JsonSerializerContext;
