using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Tcb;

namespace Carapace.Cli.Tests.Tcb;

/// <summary>
/// <c>carapace tcb</c> on a small source tree and build with known numbers (<see cref="FixtureTree"/>), and once on this
/// repository's own source and build.
/// </summary>
public sealed class TcbCommandTests : CliFixture
{
    [Fact]
    public async Task Counts_lines_and_shares_of_each_component_of_a_known_tree()
    {
        var tree = new FixtureTree(Dir.Path);

        var json = await TcbJsonAsync(tree);

        var src = json.GetProperty("src");
        Assert.Equal(FixtureTree.TotalLines, src.GetProperty("lines").GetInt32());
        Assert.Equal(7, src.GetProperty("projects").GetInt32());
        Assert.Equal(10, src.GetProperty("files").GetInt32()); // the files under obj/ and bin/ are not counted

        var enclave = Component(json, "enclave");
        Assert.Equal("Carapace.Enclave", enclave.GetProperty("program").GetString());
        Assert.Equal(["Carapace.Enclave", "Carapace.Functions", "Carapace.Envelope"], Names(enclave.GetProperty("projects")));
        Assert.Equal([20, 30, 50], enclave.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("lines").GetInt32()));
        Assert.Equal(100, enclave.GetProperty("lines").GetInt32());
        Assert.Equal(Math.Round(100.0 / 390, 4), enclave.GetProperty("share").GetDouble());

        var headline = json.GetProperty("enclave");
        Assert.Equal(100, headline.GetProperty("lines").GetInt32());
        Assert.Equal(0.25, headline.GetProperty("goal").GetDouble());
        Assert.False(headline.GetProperty("met").GetBoolean()); // 25.6 % > 25 %
        Assert.Equal("Carapace.Enclave", headline.GetProperty("program").GetProperty("name").GetString());
        Assert.Equal(20, headline.GetProperty("program").GetProperty("lines").GetInt32());

        var kms = Component(json, "kms");
        Assert.Equal(["Carapace.Kms", "Carapace.Envelope"], Names(kms.GetProperty("projects")));
        Assert.Equal(90, kms.GetProperty("lines").GetInt32());
        Assert.Equal(["Microsoft.AspNetCore.App"], kms.GetProperty("frameworks").EnumerateArray().Select(f => f.GetString()));

        var edge = Component(json, "gateway-edge");
        Assert.Equal(["Invocations/PlaintextBridge.cs", "Tls/PlatformCertificateAuthority.cs"],
            edge.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        Assert.Equal([7, 3], edge.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("lines").GetInt32()));
        Assert.Equal(["Carapace.Functions", "Carapace.Envelope"], Names(edge.GetProperty("projects"))); // not the controller
        Assert.Equal(90, edge.GetProperty("lines").GetInt32());

        var trusted = json.GetProperty("trusted");
        Assert.Equal(150, trusted.GetProperty("lines").GetInt32()); // every project and file once
        var untrusted = json.GetProperty("untrusted");
        Assert.Equal(240, untrusted.GetProperty("lines").GetInt32());
        Assert.Equal(
            [("Carapace.Cli", 100), ("Carapace.Controller", 80), ("Carapace.Gateway", 60)],
            untrusted.GetProperty("projects").EnumerateArray().Select(p => (p.GetProperty("name").GetString(), p.GetProperty("lines").GetInt32())));
        Assert.Equal("its plaintext edge", untrusted.GetProperty("projects")[2].GetProperty("except").GetString());
    }

    [Fact]
    public async Task Measures_the_bytes_of_the_built_assemblies_and_the_third_party_files_for_this_platform()
    {
        var tree = new FixtureTree(Dir.Path);

        var json = await TcbJsonAsync(tree);

        Assert.Equal(tree.Build, json.GetProperty("build").GetString());
        var enclave = Component(json, "enclave");
        Assert.Equal([1000L, 200L, 30L], enclave.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("bytes").GetInt64()));
        Assert.Equal("Carapace.Enclave.dll", enclave.GetProperty("projects")[0].GetProperty("assembly").GetString());
        Assert.Equal(1230, enclave.GetProperty("bytes").GetInt64());
        var wasmtime = Assert.Single(enclave.GetProperty("thirdParty").EnumerateArray());
        Assert.Equal("Wasmtime", wasmtime.GetProperty("package").GetString());
        Assert.Equal("50.0.1", wasmtime.GetProperty("version").GetString());
        Assert.Equal(
            [("Wasmtime.Dotnet.dll", 4000L), ($"runtimes/{RuntimeInformation.RuntimeIdentifier}/native/libwasmtime.so", 50_000L)],
            wasmtime.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("path").GetString(), f.GetProperty("bytes").GetInt64())));
        Assert.Equal(54_000, wasmtime.GetProperty("bytes").GetInt64()); // the other platform's library beside it is not counted

        // No native enclave in this build: what would run is named, its size unknown, not zero.
        Assert.Equal(
            [("enclave/Carapace.Enclave", JsonValueKind.Null), ("enclave/libwasmtime.so", JsonValueKind.Null)],
            enclave.GetProperty("runs").EnumerateArray().Select(f => (f.GetProperty("path").GetString(), f.GetProperty("bytes").ValueKind)));
        Assert.Empty(Component(json, "kms").GetProperty("runs").EnumerateArray());

        // The KMS's assembly is not in this build: its size is unknown, not zero.
        var kms = Component(json, "kms");
        Assert.Equal(JsonValueKind.Null, kms.GetProperty("projects")[0].GetProperty("bytes").ValueKind);
        Assert.Equal(JsonValueKind.Null, kms.GetProperty("bytes").ValueKind);
    }

    [Fact]
    public async Task Membership_follows_the_project_references()
    {
        var tree = new FixtureTree(Dir.Path);
        tree.AddProject("Carapace.Extra", [], lines: 10);

        var before = await TcbJsonAsync(tree);
        Assert.DoesNotContain("Carapace.Extra", Names(Component(before, "enclave").GetProperty("projects")));
        Assert.Contains("Carapace.Extra", Names(before.GetProperty("untrusted").GetProperty("projects")));

        tree.AddProject("Carapace.Enclave", ["Carapace.Functions", "Carapace.Extra"], lines: 0); // rewrites its .csproj only

        var after = await TcbJsonAsync(tree);
        var enclave = Component(after, "enclave");
        Assert.Equal(["Carapace.Enclave", "Carapace.Functions", "Carapace.Envelope", "Carapace.Extra"], Names(enclave.GetProperty("projects")));
        Assert.Equal(110, enclave.GetProperty("lines").GetInt32());
        Assert.DoesNotContain("Carapace.Extra", Names(after.GetProperty("untrusted").GetProperty("projects")));
        Assert.Equal(
            Strings(before.GetProperty("trusted").GetProperty("projects")).Append("Carapace.Extra").Order(),
            Strings(after.GetProperty("trusted").GetProperty("projects")).Order());
    }

    [Fact]
    public async Task Prints_a_table_with_the_headline()
    {
        var tree = new FixtureTree(Dir.Path);

        var result = await Run(null, "tcb", "--source", tree.Root, "--build", tree.Build);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var text = result.StdoutText;
        Assert.Contains("the enclave program (Carapace.Enclave)", text, StringComparison.Ordinal);
        Assert.Contains("third party: Wasmtime 50.0.1", text, StringComparison.Ordinal);
        Assert.Contains("Carapace.Gateway (without its plaintext edge)", text, StringComparison.Ordinal);
        Assert.Contains("The enclave's Carapace code: 100 of 390 lines of src/ (25.6%; goal ≤ 25.0%: not met)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_that_is_not_a_source_tree_is_refused_saying_what_to_give()
    {
        var result = await Run(null, "tcb", "--source", Dir.Path);

        Assert.Equal(3, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.Equal($"carapace: --source {Dir.Path}: not a Carapace source tree (src/Carapace.Enclave/Carapace.Enclave.csproj is missing); give the root of a Carapace clone", line);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void Without_a_source_tree_above_the_program_or_the_working_directory_the_error_says_what_to_do()
    {
        var failure = Assert.Throws<CliFailure>(() => SourceTree.Locate(null, Dir.Path));

        Assert.Equal(ExitCodes.IoError, failure.ExitCode);
        Assert.StartsWith($"no Carapace source tree found above {Dir.Path}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--source DIR", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_without_a_build_is_refused_for_build()
    {
        var tree = new FixtureTree(Dir.Path);

        var result = await Run(null, "tcb", "--source", tree.Root, "--build", tree.Root);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"--build {tree.Root}: no built Carapace there", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measures_this_repository_from_the_programs_own_location()
    {
        // No --source: the CLI finds the clone it was built in from where its own files are.
        var result = await Run(null, "tcb", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(RepoPaths.Root, json.GetProperty("source").GetString());
        var enclave = Component(json, "enclave");
        var projects = Names(enclave.GetProperty("projects")).ToList();
        Assert.Equal("Carapace.Enclave", projects[0]);
        Assert.Contains("Carapace.Functions", projects);
        Assert.DoesNotContain("Carapace.Kms", projects);
        Assert.All(enclave.GetProperty("projects").EnumerateArray(), p => Assert.True(p.GetProperty("bytes").GetInt64() > 0));
        var wasmtime = enclave.GetProperty("thirdParty").EnumerateArray().Single(p => p.GetProperty("package").GetString() == "Wasmtime");
        Assert.Contains(wasmtime.GetProperty("files").EnumerateArray(), f => f.GetProperty("path").GetString()!.EndsWith("libwasmtime.so", StringComparison.Ordinal));
        Assert.InRange(json.GetProperty("enclave").GetProperty("share").GetDouble(), 0.01, 0.99);

        // What runs is the native enclave beside the program, the same two files the reference values hash.
        var runs = enclave.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["enclave/Carapace.Enclave", "enclave/libwasmtime.so"], runs.Select(f => f.GetProperty("path").GetString()));
        var native = Path.Combine(json.GetProperty("build").GetString()!, "enclave");
        Assert.Equal(new FileInfo(Path.Combine(native, "Carapace.Enclave")).Length, runs[0].GetProperty("bytes").GetInt64());
        Assert.Equal(new FileInfo(Path.Combine(native, "libwasmtime.so")).Length, runs[1].GetProperty("bytes").GetInt64());
        Assert.Equal(
            Carapace.Functions.ReferenceValues.Load(Path.Combine(native, Carapace.Functions.ReferenceValues.FileName)).FileHashes[0],
            Carapace.Functions.RuntimeIdentity.HashFile(Path.Combine(native, "Carapace.Enclave")));
    }

    [Fact]
    public async Task Counts_the_code_compiled_into_the_native_enclave_from_its_list_of_compiled_methods()
    {
        var result = await Run(null, "tcb", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var compiled = json.GetProperty("enclave").GetProperty("compiled");
        Assert.Equal(JsonValueKind.Object, compiled.ValueKind); // this build has the enclave's .mstat
        var lines = compiled.GetProperty("lines").GetInt32();
        var all = compiled.GetProperty("allLines").GetInt32();
        Assert.InRange(lines, 1, all - 1);
        Assert.Equal(Math.Round((double)lines / all, 4), compiled.GetProperty("share").GetDouble());

        // Only what the enclave can reach: its own project most of all, none of the KMS server or the untrusted platform,
        // and of a shared library less than all of it (e.g. the image packer and clients' code of Carapace.Functions).
        var projects = compiled.GetProperty("projects").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => (Lines: p.GetProperty("lines").GetInt32(), All: p.GetProperty("allLines").GetInt32()));
        Assert.Equal("Carapace.Enclave", compiled.GetProperty("projects")[0].GetProperty("name").GetString());
        foreach (var untrusted in new[] { "Carapace.Kms", "Carapace.Controller", "Carapace.Gateway", "Carapace.Worker", "Carapace.Platform", "Carapace.Cli", "Carapace.Client" })
        {
            Assert.False(projects.ContainsKey(untrusted), $"{untrusted} is counted as compiled into the enclave");
        }

        Assert.True(projects["Carapace.Functions"].Lines < projects["Carapace.Functions"].All);
        Assert.Equal(lines, projects.Values.Sum(p => p.Lines));
        Assert.True(compiled.GetProperty("share").GetDouble() < json.GetProperty("enclave").GetProperty("share").GetDouble(),
            "the compiled code is not smaller than the projects the enclave references");
    }

    [Fact]
    public async Task A_damaged_list_of_compiled_methods_is_refused_naming_the_file()
    {
        var tree = new FixtureTree(Dir.Path);
        var mstat = Path.Combine(tree.Build, CompiledCode.MstatPath);
        Directory.CreateDirectory(Path.GetDirectoryName(mstat)!);
        await File.WriteAllBytesAsync(mstat, Encoding.ASCII.GetBytes("not a PE file at all"));

        var result = await Run(null, "tcb", "--source", tree.Root, "--build", tree.Build);

        Assert.Equal(ExitCodes.Rejected, result.ExitCode);
        Assert.Contains($"cannot read {mstat}", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/work/clone/src/Carapace.Enclave/Host/EnclaveMain.cs", "src/Carapace.Enclave/Host/EnclaveMain.cs")]
    [InlineData("/_/src/Carapace.Functions/Images/ImagePacker.cs", "src/Carapace.Functions/Images/ImagePacker.cs")]
    [InlineData("src/Carapace.Envelope/Sealing/MessageCipher.cs", "src/Carapace.Envelope/Sealing/MessageCipher.cs")]
    [InlineData("/work/clone/src/Carapace.Enclave/obj/Release/net10.0/TrustedKms.g.cs", null)]
    [InlineData("Microsoft.Extensions.Logging.Generators/LoggerMessageGenerator/LoggerMessage.g.cs", null)]
    [InlineData("/work/clone/tests/Carapace.Enclave.Tests/Helpers.cs", null)]
    public void Statement_lines_are_counted_only_in_source_files_under_src(string document, string? expected) =>
        Assert.Equal(expected, StatementLines.SourcePath(document));

    private async Task<JsonElement> TcbJsonAsync(FixtureTree tree)
    {
        var result = await Run(null, "tcb", "--source", tree.Root, "--build", tree.Build, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    private static JsonElement Component(JsonElement json, string name) =>
        json.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(p => p.GetString());

    private static IEnumerable<string?> Names(JsonElement projects) => projects.EnumerateArray().Select(p => p.GetProperty("name").GetString());

    /// <summary>
    /// A source tree with known lines (390 in all) and a build with known sizes:
    /// Enclave 20 → Functions 30 → Envelope 50; Kms 40 → Envelope; Gateway 70 (its edge 7 + 3) → Controller 80,
    /// Functions; Cli 100 → everything. Files under obj/ and bin/ would add 2000 lines if they were counted.
    /// </summary>
    private sealed class FixtureTree
    {
        public const int TotalLines = 390;

        public FixtureTree(string directory)
        {
            Root = Path.Combine(directory, "clone");
            Build = Path.Combine(directory, "build");
            AddProject("Carapace.Enclave", ["Carapace.Functions"], lines: 0);
            File.WriteAllText(Path.Combine(Root, "src/Carapace.Enclave/Program.cs"), """"
                // The enclave's entry point: 9 lines of code in this file.
                /// <summary>Documentation is a comment.</summary>
                using System; // 1

                /* A block comment
                   over two lines. */
                var s = "http://example.org"; // 2
                var t = """
                    // 4: inside a raw string
                    """; // 5
                var u = $"{(s.Length > 0 ? "a" : "b")} // still text"; // 6
                /* a */ int x = 1; // 7
                int y = 2; /* a comment
                   that ends here */

                char c = '"'; // 9 (line 8 is int y)
                """");
            Write("src/Carapace.Enclave/Shield/Limits.cs", 11);
            Write("src/Carapace.Enclave/obj/Release/Generated.cs", 1000);
            Write("src/Carapace.Enclave/bin/Release/Copied.cs", 1000);
            AddProject("Carapace.Functions", ["Carapace.Envelope"], lines: 30);
            AddProject("Carapace.Envelope", [], lines: 50);
            AddProject("Carapace.Kms", ["Carapace.Envelope"], lines: 40, framework: "Microsoft.AspNetCore.App");
            AddProject("Carapace.Controller", [], lines: 80);
            AddProject("Carapace.Gateway", ["Carapace.Controller", "Carapace.Functions"], lines: 60);
            Write("src/Carapace.Gateway/Invocations/PlaintextBridge.cs", 7);
            Write("src/Carapace.Gateway/Tls/PlatformCertificateAuthority.cs", 3);
            AddProject("Carapace.Cli", ["Carapace.Enclave", "Carapace.Kms", "Carapace.Gateway"], lines: 100, assemblyName: "carapace");

            var rid = RuntimeInformation.RuntimeIdentifier;
            Directory.CreateDirectory(Build);
            File.WriteAllText(Path.Combine(Build, "carapace.deps.json"), $$"""
                {
                  "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0", "signature": "" },
                  "targets": {
                    ".NETCoreApp,Version=v10.0": {
                      "carapace/1.0.0": { "dependencies": { "Carapace.Enclave": "1.0.0", "Carapace.Kms": "1.0.0" }, "runtime": { "carapace.dll": {} } },
                      "Carapace.Enclave/1.0.0": { "dependencies": { "Carapace.Functions": "1.0.0", "Wasmtime": "50.0.1" }, "runtime": { "Carapace.Enclave.dll": {} } },
                      "Carapace.Functions/1.0.0": { "dependencies": { "Carapace.Envelope": "1.0.0" }, "runtime": { "Carapace.Functions.dll": {} } },
                      "Carapace.Envelope/1.0.0": { "runtime": { "Carapace.Envelope.dll": {} } },
                      "Carapace.Kms/1.0.0": { "dependencies": { "Carapace.Envelope": "1.0.0" }, "runtime": { "Carapace.Kms.dll": {} } },
                      "Wasmtime/50.0.1": {
                        "runtime": { "lib/net10.0/Wasmtime.Dotnet.dll": {} },
                        "runtimeTargets": {
                          "runtimes/{{rid}}/native/libwasmtime.so": { "rid": "{{rid}}", "assetType": "native" },
                          "runtimes/other-arch/native/libwasmtime.so": { "rid": "other-arch", "assetType": "native" }
                        }
                      }
                    }
                  },
                  "libraries": {
                    "carapace/1.0.0": { "type": "project" },
                    "Carapace.Enclave/1.0.0": { "type": "project" },
                    "Carapace.Functions/1.0.0": { "type": "project" },
                    "Carapace.Envelope/1.0.0": { "type": "project" },
                    "Carapace.Kms/1.0.0": { "type": "project" },
                    "Wasmtime/50.0.1": { "type": "package" }
                  }
                }
                """);
            Sized("Carapace.Enclave.dll", 1000);
            Sized("Carapace.Functions.dll", 200);
            Sized("Carapace.Envelope.dll", 30);
            Sized("Wasmtime.Dotnet.dll", 4000);
            Sized($"runtimes/{rid}/native/libwasmtime.so", 50_000);
            Sized("runtimes/other-arch/native/libwasmtime.so", 70_000);
        }

        public string Root { get; }

        public string Build { get; }

        /// <summary>Writes a project's .csproj (and, when <paramref name="lines"/> &gt; 0, a file of that many lines of code).</summary>
        public void AddProject(string name, string[] references, int lines, string? framework = null, string? assemblyName = null)
        {
            var refs = string.Concat(references.Select(r => $"""    <ProjectReference Include="../{r}/{r}.csproj" />""" + "\n"));
            var assembly = assemblyName is null ? "" : $"<PropertyGroup><AssemblyName>{assemblyName}</AssemblyName></PropertyGroup>";
            var frameworks = framework is null ? "" : $"""<ItemGroup><FrameworkReference Include="{framework}" /></ItemGroup>""";
            var project = Path.Combine(Root, "src", name);
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(project, name + ".csproj"),
                $"<Project Sdk=\"Microsoft.NET.Sdk\">\n  {assembly}\n  <ItemGroup>\n{refs}  </ItemGroup>\n  {frameworks}\n</Project>\n");
            if (lines > 0)
            {
                Write($"src/{name}/Code.cs", lines);
            }
        }

        /// <summary>A C# file with exactly <paramref name="lines"/> lines of code among comments and blank lines.</summary>
        private void Write(string relative, int lines)
        {
            var text = new StringBuilder("// A file of the fixture.\n\n");
            for (var i = 0; i < lines; i++)
            {
                text.Append(i % 3 == 0 ? $"/// <summary>Field {i}.</summary>\nint f{i} = {i}; // trailing\n\n" : $"int f{i} = {i};\n");
            }

            var path = Path.Combine(Root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text.ToString());
        }

        private void Sized(string relative, int bytes)
        {
            var path = Path.Combine(Build, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[bytes]);
        }
    }
}
