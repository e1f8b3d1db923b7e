using System.Text.Json;

namespace Carapace.Cli.Tcb;

/// <summary>The machine-readable form of <c>carapace tcb --json</c> (documented in docs/cli.md).</summary>
internal static class TcbJson
{
    public static void Write(Stream destination, TrustedBase tcb)
    {
        using var w = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("source", tcb.Source.Root);
        w.WriteString("build", tcb.Build?.Directory);
        w.WriteString("counted", TrustedBase.Counted);
        w.WriteStartObject("src");
        w.WriteNumber("projects", tcb.Source.Projects.Count);
        w.WriteNumber("files", tcb.Source.Files);
        w.WriteNumber("lines", tcb.Source.Lines);
        w.WriteEndObject();

        w.WriteStartObject("enclave");
        w.WriteNumber("lines", tcb.Enclave.Lines);
        w.WriteNumber("share", Round(tcb.Share(tcb.Enclave.Lines)));
        w.WriteNumber("goal", TrustedBase.EnclaveGoal);
        w.WriteBoolean("met", tcb.Share(tcb.Enclave.Lines) <= TrustedBase.EnclaveGoal);
        var own = tcb.Enclave.Projects.Single(p => p.Name == tcb.Enclave.Program);
        w.WriteStartObject("program");
        w.WriteString("name", own.Name);
        w.WriteNumber("lines", own.Lines);
        w.WriteNumber("share", Round(tcb.Share(own.Lines)));
        w.WriteEndObject();
        WriteCompiled(w, tcb.Compiled);
        w.WriteEndObject();

        w.WriteStartArray("components");
        foreach (var component in tcb.Components)
        {
            WriteComponent(w, tcb, component);
        }

        w.WriteEndArray();

        w.WriteStartObject("trusted");
        w.WriteNumber("lines", tcb.TrustedLines);
        w.WriteNumber("share", Round(tcb.Share(tcb.TrustedLines)));
        w.WriteStartArray("projects");
        tcb.TrustedProjects.ToList().ForEach(w.WriteStringValue);
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("untrusted");
        var untrustedLines = tcb.Untrusted.Sum(u => u.Lines);
        w.WriteNumber("lines", untrustedLines);
        w.WriteNumber("share", Round(tcb.Share(untrustedLines)));
        w.WriteStartArray("projects");
        foreach (var part in tcb.Untrusted)
        {
            w.WriteStartObject();
            w.WriteString("name", part.Name);
            w.WriteString("except", part.Except);
            w.WriteNumber("lines", part.Lines);
            w.WriteNumber("share", Round(tcb.Share(part.Lines)));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteComponent(Utf8JsonWriter w, TrustedBase tcb, Component component)
    {
        w.WriteStartObject();
        w.WriteString("name", component.Name);
        w.WriteString("title", component.Title);
        w.WriteString("program", component.Program);
        w.WriteString("process", component.Process);
        w.WriteNumber("lines", component.Lines);
        w.WriteNumber("share", Round(tcb.Share(component.Lines)));
        WriteBytes(w, "bytes", component.Bytes);
        w.WriteStartArray("files");
        foreach (var file in component.Files)
        {
            w.WriteStartObject();
            w.WriteString("path", file.Path);
            w.WriteNumber("lines", file.Lines);
            w.WriteNumber("share", Round(tcb.Share(file.Lines)));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("projects");
        foreach (var project in component.Projects)
        {
            w.WriteStartObject();
            w.WriteString("name", project.Name);
            w.WriteNumber("files", project.Files);
            w.WriteNumber("lines", project.Lines);
            w.WriteNumber("share", Round(tcb.Share(project.Lines)));
            w.WriteString("assembly", project.Assembly?.Path);
            WriteBytes(w, "bytes", project.Assembly?.Bytes);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteFiles(w, "runs", component.Runs);
        w.WriteStartArray("thirdParty");
        foreach (var package in component.ThirdParty)
        {
            w.WriteStartObject();
            w.WriteString("package", package.Package);
            w.WriteString("version", package.Version);
            w.WriteNumber("bytes", package.Bytes);
            WriteFiles(w, "files", package.Files);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("frameworks");
        component.Frameworks.ToList().ForEach(w.WriteStringValue);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The enclave's code as compiled into the native binary, in statement lines (null without its .mstat).</summary>
    private static void WriteCompiled(Utf8JsonWriter w, CompiledCode? compiled)
    {
        if (compiled is null)
        {
            w.WriteNull("compiled");
            return;
        }

        w.WriteStartObject("compiled");
        w.WriteString("counted", CompiledCode.Counted);
        w.WriteNumber("lines", compiled.Lines);
        w.WriteNumber("allLines", compiled.AllLines);
        w.WriteNumber("share", Round(compiled.Share));
        w.WriteBoolean("met", compiled.Share <= TrustedBase.EnclaveGoal);
        w.WriteStartArray("projects");
        foreach (var project in compiled.Projects)
        {
            w.WriteStartObject();
            w.WriteString("name", project.Name);
            w.WriteNumber("lines", project.Lines);
            w.WriteNumber("allLines", project.AllLines);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>An array of built files, each its path and size (null when the build lacks it).</summary>
    private static void WriteFiles(Utf8JsonWriter w, string name, IReadOnlyList<BuildFile> files)
    {
        w.WriteStartArray(name);
        foreach (var file in files)
        {
            w.WriteStartObject();
            w.WriteString("path", file.Path);
            WriteBytes(w, "bytes", file.Bytes);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteBytes(Utf8JsonWriter w, string name, long? bytes)
    {
        if (bytes is { } value)
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static double Round(double share) => Math.Round(share, 4);
}
