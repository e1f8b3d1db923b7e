using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Carapace.Cli.Tcb;

/// <summary>The human-readable form of <c>carapace tcb</c>: one table of components, then the headline.</summary>
internal static class TcbText
{
    public static void Write(TextWriter output, TrustedBase tcb)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 160; // a file or pipe gets whole lines rather than 80 columns
        }

        output.WriteLine($"source  {tcb.Source.Root} (src/: {tcb.Source.Projects.Count} projects, {N(tcb.Source.Files)} files, {N(tcb.Source.Lines)} lines)");
        output.WriteLine($"build   {tcb.Build?.Directory ?? "(none)"}");
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("trusted component")
            .AddColumn(new TableColumn("lines").RightAligned())
            .AddColumn(new TableColumn("of src/").RightAligned())
            .AddColumn("built file")
            .AddColumn(new TableColumn("bytes").RightAligned());
        foreach (var component in tcb.Components)
        {
            AddComponent(table, tcb, component);
        }

        Heading(table, "trusted in total", "each project and file once");
        Row(table, "  Carapace code", N(tcb.TrustedLines), Percent(tcb.Share(tcb.TrustedLines)));
        Heading(table, "outside the trusted base", "untrusted platform code, and client code on users' machines");
        foreach (var part in tcb.Untrusted)
        {
            Row(table, "  " + part.Name + (part.Except is { } except ? $" (without {except})" : ""), N(part.Lines), Percent(tcb.Share(part.Lines)));
        }

        var untrusted = tcb.Untrusted.Sum(u => u.Lines);
        Row(table, "  Carapace code", N(untrusted), Percent(tcb.Share(untrusted)));
        console.Write(table);

        var share = tcb.Share(tcb.Enclave.Lines);
        var own = tcb.Enclave.Projects.Single(p => p.Name == tcb.Enclave.Program);
        var verdict = share <= TrustedBase.EnclaveGoal ? "met" : "not met";
        output.WriteLine(
            $"The enclave's Carapace code: {N(tcb.Enclave.Lines)} of {N(tcb.Source.Lines)} lines of src/ ({Percent(share)}; goal ≤ {Percent(TrustedBase.EnclaveGoal)}: {verdict}); " +
            $"the {own.Name} project itself: {N(own.Lines)} ({Percent(tcb.Share(own.Lines))}).");
        if (tcb.Compiled is { } compiled)
        {
            WriteCompiled(console, output, compiled);
        }

        output.WriteLine(TrustedBase.Counted + ".");
    }

    /// <summary>The enclave's code as the native binary contains it: per project, then the headline against the goal.</summary>
    private static void WriteCompiled(IAnsiConsole console, TextWriter output, CompiledCode compiled)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("compiled into the native enclave")
            .AddColumn(new TableColumn("statement lines").RightAligned())
            .AddColumn(new TableColumn("of the project's").RightAligned())
            .AddColumn(new TableColumn("of src/").RightAligned());
        foreach (var project in compiled.Projects)
        {
            table.AddRow("  " + project.Name, N(project.Lines), Percent((double)project.Lines / project.AllLines), Percent((double)project.Lines / compiled.AllLines));
        }

        table.AddRow("  Carapace code", N(compiled.Lines), "", Percent(compiled.Share));
        console.Write(table);
        var verdict = compiled.Share <= TrustedBase.EnclaveGoal ? "met" : "not met";
        output.WriteLine(
            $"The Carapace code compiled into the enclave: {N(compiled.Lines)} of {N(compiled.AllLines)} statement lines of src/ " +
            $"({Percent(compiled.Share)}; goal ≤ {Percent(TrustedBase.EnclaveGoal)}: {verdict}).");
        output.WriteLine(CompiledCode.Counted + ".");
    }

    private static void AddComponent(Table table, TrustedBase tcb, Component component)
    {
        Heading(table, $"{component.Title} ({component.Program})", component.Process);
        foreach (var file in component.Files)
        {
            Row(table, "  " + file.Path, N(file.Lines), Percent(tcb.Share(file.Lines)), $"in {component.Program}.dll");
        }

        if (component.Files.Count > 0 && component.Projects.Count > 0)
        {
            Row(table, "  and the trusted libraries it links:");
        }

        foreach (var project in component.Projects)
        {
            Row(table, "  " + project.Name, N(project.Lines), Percent(tcb.Share(project.Lines)), project.Assembly?.Path ?? "", Bytes(project.Assembly?.Bytes));
        }

        Row(table, "  Carapace code", N(component.Lines), Percent(tcb.Share(component.Lines)), "", Bytes(component.Bytes));
        foreach (var package in component.ThirdParty.Where(p => p.Files.Count > 0)) // packages without files only gather others
        {
            FileRows(table, $"  third party: {package.Package} {package.Version}", package.Files);
        }

        if (component.ThirdParty.Count > 0)
        {
            Row(table, "  third-party code", "", "", "", Bytes(component.ThirdParty.Sum(p => p.Bytes)));
        }

        FileRows(table, "  what runs: compiled ahead of time", component.Runs);

        foreach (var framework in component.Frameworks)
        {
            Row(table, $"  shared framework: {framework}", "", "", "(part of the .NET installation, not counted)");
        }
    }

    /// <summary>One row per built file, the first under <paramref name="label"/> (nothing for no files).</summary>
    private static void FileRows(Table table, string label, IReadOnlyList<BuildFile> files)
    {
        foreach (var file in files)
        {
            Row(table, label, "", "", file.Path, Bytes(file.Bytes));
            label = "";
        }
    }

    private static void Heading(Table table, string title, string note) =>
        table.AddRow(new Text(title, new Style(decoration: Decoration.Bold)), Text.Empty, Text.Empty, new Text(note, new Style(decoration: Decoration.Italic)), Text.Empty);

    private static void Row(Table table, params string[] cells) =>
        table.AddRow([.. cells.Concat(Enumerable.Repeat("", 5 - cells.Length)).Select(c => (IRenderable)new Text(c))]);

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bytes(long? bytes) => bytes is { } b ? N(b) : "missing";

    private static string Percent(double share) => share.ToString("P1", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);
}
