using System.Formats.Cbor;
using System.Text;

namespace Carapace.Functions;

/// <summary>
/// The public description of a deployed function that goes into its measurement: arguments, non-secret environment,
/// limits, granted capabilities and the file-system image root. Encoded as canonical CBOR, so equal manifests
/// always measure equal. Secrets are not part of it: they are provisioned separately and never measured.
/// </summary>
public sealed record FunctionManifest
{
    /// <summary>Default linear memory cap: 64 MiB.</summary>
    public const long DefaultMemoryBytes = 64L << 20;

    /// <summary>Default wall-clock limit: 5 s.</summary>
    public const long DefaultTimeoutMilliseconds = 5_000;

    /// <summary>Longest name (argv[0]), in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    /// <summary>Most arguments after argv[0].</summary>
    public const int MaxArguments = 1024;

    /// <summary>Most environment variables.</summary>
    public const int MaxEnvironmentVariables = 1024;

    /// <summary>Longest environment variable name, in UTF-8 bytes.</summary>
    public const int MaxEnvironmentNameBytes = 256;

    /// <summary>Longest argument or environment value, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 32 * 1024;

    /// <summary>Most bytes of all arguments together, and of the whole environment (each string plus its NUL, <c>NAME=value</c> for variables).</summary>
    public const int MaxEnvironmentBytes = 256 * 1024;

    /// <summary>Name of the function (argv[0]).</summary>
    public string Name { get; init; } = "function";

    /// <summary>Arguments after argv[0].</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Non-secret environment variables, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>Cap on the instance's linear memory, in bytes.</summary>
    public long MemoryBytes { get; init; } = DefaultMemoryBytes;

    /// <summary>Wall-clock limit of one invocation, in milliseconds.</summary>
    public long TimeoutMilliseconds { get; init; } = DefaultTimeoutMilliseconds;

    /// <summary>Fuel per invocation (instruction budget); 0 means no fuel metering.</summary>
    public long Fuel { get; init; }

    /// <summary>Size limit of the in-enclave /tmp, in bytes; 0 means no /tmp.</summary>
    public long TmpBytes { get; init; } = 16L << 20;

    /// <summary>Largest accepted input payload.</summary>
    public long MaxInputBytes { get; init; } = 64L << 20;

    /// <summary>Largest output payload.</summary>
    public long MaxOutputBytes { get; init; } = 64L << 20;

    /// <summary>Largest stderr log kept.</summary>
    public long MaxLogBytes { get; init; } = 1L << 20;

    /// <summary>Clock resolution granted to the guest, in nanoseconds (coarser clocks leak less timing).</summary>
    public long ClockResolutionNanoseconds { get; init; } = 1_000_000;

    /// <summary>Whether the guest may read the wall-clock (realtime) time.</summary>
    public bool Realtime { get; init; } = true;

    /// <summary>The shielded image, if any, mounted at its <see cref="ImageReference.MountPath"/> with a writable in-enclave overlay.</summary>
    public ImageReference? Image { get; init; }

    /// <summary>
    /// For sealed code (<see cref="SealedCode"/>): the SHA-256 of the module that runs, which the enclave reads from the
    /// image at <see cref="SealedCode.PathInImage"/> once the image key is released; null when the module is the public one.
    /// </summary>
    public ReadOnlyMemory<byte>? SealedCodeHash { get; init; }

    /// <summary>
    /// For a JavaScript function (OpenWhisk's <c>nodejs</c> kinds): the name of the function its source defines and the
    /// enclave calls with the parameters (<c>exec.main</c>, default <c>main</c>); the code is then JavaScript source,
    /// run by the JavaScript enclave (<see cref="EnclaveRuntime.JavaScript"/>). Null for a WebAssembly module.
    /// </summary>
    public string? JavaScriptMain { get; init; }

    /// <summary>The longest JavaScript entry-point name.</summary>
    public const int MaxMainBytes = 256;

    /// <summary>Checks the limits and names, listing every problem at once.</summary>
    /// <exception cref="ArgumentException">Something is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(Name) || Encoding.UTF8.GetByteCount(Name) > MaxNameBytes)
        {
            problems.Add($"the name must be 1..{MaxNameBytes} UTF-8 bytes");
        }
        else if (TextProblem(Name) is { } nameProblem)
        {
            problems.Add("the name " + nameProblem);
        }

        if (MemoryBytes is < 64 * 1024 or > 4L << 30)
        {
            problems.Add("the memory limit must be from 64 KiB to 4 GiB");
        }

        if (TimeoutMilliseconds is < 1 or > 15 * 60 * 1000)
        {
            problems.Add("the timeout must be from 1 ms to 15 min");
        }

        if (Fuel < 0 || TmpBytes < 0 || MaxInputBytes < 0 || MaxOutputBytes < 0 || MaxLogBytes < 0)
        {
            problems.Add("fuel and size limits cannot be negative");
        }

        if (MaxInputBytes > 256L << 20 || MaxOutputBytes > 256L << 20 || MaxLogBytes > 64L << 20 || TmpBytes > 4L << 30)
        {
            problems.Add("input/output are at most 256 MiB, the log 64 MiB, /tmp 4 GiB");
        }

        if (ClockResolutionNanoseconds is < 1 or > 1_000_000_000)
        {
            problems.Add("the clock resolution must be from 1 ns to 1 s");
        }

        if (Arguments.Count > MaxArguments)
        {
            problems.Add($"at most {MaxArguments} arguments");
        }
        else
        {
            foreach (var (argument, i) in Arguments.Select((a, i) => (a, i)))
            {
                if (TextProblem(argument) is { } problem)
                {
                    problems.Add($"argument {i + 1} {problem}");
                }
                else if (Encoding.UTF8.GetByteCount(argument) > MaxTextBytes)
                {
                    problems.Add($"argument {i + 1} is longer than {MaxTextBytes} bytes");
                }
            }

            if (Arguments.Sum(a => ByteCount(a) + 1L) > MaxEnvironmentBytes)
            {
                problems.Add($"the arguments are more than {MaxEnvironmentBytes} bytes in all");
            }
        }

        problems.AddRange(ActionEnvironment.Check(Environment, "the environment").Select(p => p.TrimEnd('.')));

        if (Image is { } image && (image.Id.Length != 16 || image.Root.Length != 32))
        {
            problems.Add("an image reference is a 16-byte id and a 32-byte root");
        }

        if (Image is { } mounted && ImageReference.MountPathProblem(mounted.MountPath) is { } mountProblem)
        {
            problems.Add(mountProblem);
        }
        else if (Image is { MountPath: "/tmp" } && TmpBytes > 0)
        {
            problems.Add("the image cannot be mounted at /tmp while the function has a /tmp (give --tmp 0 or another mount path)");
        }

        if (SealedCodeHash is { } sealedCode && (sealedCode.Length != 32 || Image is null))
        {
            problems.Add("sealed code is a 32-byte module hash, and the module lives in the function's image (give it one)");
        }

        if (JavaScriptMain is { } main && !IsJavaScriptName(main))
        {
            problems.Add($"the JavaScript entry point must be an identifier of 1..{MaxMainBytes} characters (letters, digits, _ and $, not starting with a digit)");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid function manifest: " + string.Join("; ", problems));
        }
    }

    /// <summary>
    /// Why <paramref name="text"/> cannot be a WASI string (an argument, a name or a value): "contains a NUL character"
    /// (C strings end there) or "is not valid Unicode" (a lone surrogate has no UTF-8 form); null when it can.
    /// </summary>
    internal static string? TextProblem(string text)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL character";
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return "is not valid Unicode";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> is a plain JavaScript identifier (ASCII letters, digits, _ and $, not starting with a digit).</summary>
    public static bool IsJavaScriptName(string name) =>
        name is { Length: > 0 and <= MaxMainBytes } && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$');

    /// <summary>The UTF-8 length of valid text (what WASI hands the guest).</summary>
    internal static long ByteCount(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>The canonical CBOR encoding (what the measurement hashes).</summary>
    public byte[] Encode()
    {
        Validate();
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(12 + (Image is null ? 0 : 1) + (SealedCodeHash is null ? 0 : 1) + (JavaScriptMain is null ? 0 : 1));
        if (JavaScriptMain is { } main)
        {
            // Written only for JavaScript, so every WebAssembly manifest keeps its encoding and measurement.
            w.WriteTextString("main");
            w.WriteTextString(main);
        }

        if (SealedCodeHash is { } sealedCode)
        {
            // Written only for sealed code, so every other manifest keeps its encoding and measurement.
            w.WriteTextString("code");
            w.WriteByteString(sealedCode.Span);
        }

        w.WriteTextString("fuel");
        w.WriteInt64(Fuel);
        w.WriteTextString("name");
        w.WriteTextString(Name);
        w.WriteTextString("args");
        w.WriteStartArray(Arguments.Count);
        foreach (var a in Arguments)
        {
            w.WriteTextString(a);
        }

        w.WriteEndArray();
        w.WriteTextString("env");
        w.WriteStartArray(Environment.Count);
        foreach (var (k, v) in Environment)
        {
            w.WriteStartArray(2);
            w.WriteTextString(k);
            w.WriteTextString(v);
            w.WriteEndArray();
        }

        w.WriteEndArray();
        if (Image is { } image)
        {
            w.WriteTextString("image");
            // The mount path is written only when it is not the default, so manifests from before mount paths existed
            // (all at /data) keep their encoding and measurement.
            var defaultMount = image.MountPath == ImageReference.DefaultMountPath;
            w.WriteStartArray(defaultMount ? 2 : 3);
            w.WriteByteString(image.Id.Span);
            w.WriteByteString(image.Root.Span);
            if (!defaultMount)
            {
                w.WriteTextString(image.MountPath);
            }

            w.WriteEndArray();
        }

        w.WriteTextString("clock");
        w.WriteInt64(ClockResolutionNanoseconds);
        w.WriteTextString("maxIn");
        w.WriteInt64(MaxInputBytes);
        w.WriteTextString("maxLog");
        w.WriteInt64(MaxLogBytes);
        w.WriteTextString("maxOut");
        w.WriteInt64(MaxOutputBytes);
        w.WriteTextString("memory");
        w.WriteInt64(MemoryBytes);
        w.WriteTextString("tmp");
        w.WriteInt64(TmpBytes);
        w.WriteTextString("timeout");
        w.WriteInt64(TimeoutMilliseconds);
        w.WriteTextString("realtime");
        w.WriteBoolean(Realtime);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Decodes the canonical encoding.</summary>
    /// <exception cref="FormatException">Not a canonical manifest.</exception>
    public static FunctionManifest Decode(ReadOnlyMemory<byte> encoded)
    {
        try
        {
            var r = new CborReader(encoded, CborConformanceMode.Canonical);
            var count = r.ReadStartMap() ?? throw new FormatException("indefinite map");
            var m = new FunctionManifest();
            for (var i = 0; i < count; i++)
            {
                m = r.ReadTextString() switch
                {
                    "fuel" => m with { Fuel = r.ReadInt64() },
                    "name" => m with { Name = r.ReadTextString() },
                    "args" => m with { Arguments = ReadStrings(r) },
                    "env" => m with { Environment = ReadPairs(r) },
                    "image" => m with { Image = ReadImage(r) },
                    "code" => m with { SealedCodeHash = r.ReadByteString() },
                    "main" => m with { JavaScriptMain = r.ReadTextString() },
                    "clock" => m with { ClockResolutionNanoseconds = r.ReadInt64() },
                    "maxIn" => m with { MaxInputBytes = r.ReadInt64() },
                    "maxLog" => m with { MaxLogBytes = r.ReadInt64() },
                    "maxOut" => m with { MaxOutputBytes = r.ReadInt64() },
                    "memory" => m with { MemoryBytes = r.ReadInt64() },
                    "tmp" => m with { TmpBytes = r.ReadInt64() },
                    "timeout" => m with { TimeoutMilliseconds = r.ReadInt64() },
                    "realtime" => m with { Realtime = r.ReadBoolean() },
                    var other => throw new FormatException($"unknown manifest field '{other}'"),
                };
            }

            r.ReadEndMap();
            if (r.BytesRemaining != 0)
            {
                throw new FormatException("trailing bytes");
            }

            m.Validate();
            return m;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new FormatException($"not a valid function manifest: {e.Message}", e);
        }
    }

    private static string[] ReadStrings(CborReader r)
    {
        var n = r.ReadStartArray() ?? throw new FormatException("indefinite array");
        var result = new string[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = r.ReadTextString();
        }

        r.ReadEndArray();
        return result;
    }

    private static KeyValuePair<string, string>[] ReadPairs(CborReader r)
    {
        var n = r.ReadStartArray() ?? throw new FormatException("indefinite array");
        var result = new KeyValuePair<string, string>[n];
        for (var i = 0; i < n; i++)
        {
            if (r.ReadStartArray() != 2)
            {
                throw new FormatException("an environment entry is a [name, value] pair");
            }

            result[i] = new(r.ReadTextString(), r.ReadTextString());
            r.ReadEndArray();
        }

        r.ReadEndArray();
        return result;
    }

    private static ImageReference ReadImage(CborReader r)
    {
        var count = r.ReadStartArray();
        if (count is not (2 or 3))
        {
            throw new FormatException("an image reference is [id, root] or [id, root, mount path]");
        }

        var image = new ImageReference(r.ReadByteString(), r.ReadByteString());
        if (count == 3)
        {
            var mount = r.ReadTextString();
            if (mount == ImageReference.DefaultMountPath)
            {
                throw new FormatException("the default mount path is not written (the encoding would not be canonical)");
            }

            image = image with { MountPath = mount };
        }

        r.ReadEndArray();
        return image;
    }
}
