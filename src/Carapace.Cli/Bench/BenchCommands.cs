using System.CommandLine;
using System.Globalization;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Profiles;
using Spectre.Console;

namespace Carapace.Cli.Bench;

/// <summary><c>carapace bench …</c>: measurements that print ratios taken in the same run.</summary>
internal static class BenchCommands
{
    private static readonly long[] s_defaultSizes = [1 << 10, 64 << 10, 1 << 20];

    public static Command Build()
    {
        var bench = new Command("bench", "Measure Carapace against its plaintext baseline, in the same run.");
        bench.Add(BuildEnvelope());
        bench.Add(BuildRuntime());
        bench.Add(AttestBench.Build());
        bench.Add(BuildInvoke());
        return bench;
    }

    private static Command BuildEnvelope()
    {
        var sizes = new Option<long[]>("--size")
        {
            Description = "Payload size to measure (e.g. 4096, 64KiB, 1MiB); may repeat. Default: 1KiB, 64KiB and 1MiB.",
            HelpName = "BYTES",
            CustomParser = r =>
            {
                var result = new List<long>();
                foreach (var token in r.Tokens)
                {
                    if (!ByteSize.TryParse(token.Value, out var n) || n is < 1 or > 256L << 20)
                    {
                        r.AddError($"--size expects a size from 1 byte to 256MiB such as 65536 or 64KiB, not '{token.Value}'");
                        return [];
                    }

                    result.Add(n);
                }

                return [.. result];
            },
        };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Measuring time per operation and size, in seconds (default 1).",
            HelpName = "S",
            DefaultValueFactory = _ => 1.0,
        };
        seconds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is <= 0 or > 600)
            {
                r.AddError("--seconds must be more than 0 and at most 600");
            }
        });
        var command = new Command(
            "envelope",
            "Measure raw AES-256-GCM against envelope seal and open for the same payload sizes; prints a table and, " +
            "last, the envelope/raw seal throughput ratio at the largest size.")
        {
            sizes, seconds,
        };
        Examples.Set(command, "carapace bench envelope", "carapace bench envelope --size 4KiB --size 16MiB --seconds 2");
        command.SetHandler((parse, cancel) =>
        {
            var chosen = parse.GetValue(sizes) is { Length: > 0 } s ? s : s_defaultSizes;
            var bench = new EnvelopeBench(TimeSpan.FromSeconds(parse.GetValue(seconds)));
            var results = new List<EnvelopeBench.Result>();
            var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            if (stderr.Profile.Capabilities.Interactive && !Console.IsErrorRedirected)
            {
                stderr.Progress().Start(ctx =>
                {
                    foreach (var size in chosen)
                    {
                        var task = ctx.AddTask($"{ByteSize.Format(size)}", maxValue: 20);
                        results.Add(bench.Measure((int)size, _ => task.Increment(1)));
                        cancel.ThrowIfCancellationRequested();
                    }
                });
            }
            else
            {
                foreach (var size in chosen)
                {
                    Console.Error.WriteLine($"measuring {ByteSize.Format(size)} …");
                    results.Add(bench.Measure((int)size));
                    cancel.ThrowIfCancellationRequested();
                }
            }

            Print(results);
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command BuildRuntime()
    {
        var examples = new Option<string?>("--examples")
        {
            Description = "Folder with the compiled examples (hello, sha256, hostcall, fsbench and sqlite-query .wasm). Default: examples/out of the repository.",
            HelpName = "DIR",
        };
        var n = new Option<int>("--n") { Description = "Warm invocations to time (default 300).", DefaultValueFactory = _ => 300, HelpName = "N" };
        var only = new Option<string?>("--only")
        {
            Description = "Measure only one section: 'files' (the file shield) or 'js' (JavaScript functions against Node.js). Default: everything.",
            HelpName = "SECTION",
        };
        only.AcceptOnlyFromAmong("files", "js");
        var shieldSize = new Option<long>("--shield-size")
        {
            Description = "Size of the file read in the file-shield section, 1MiB to 64MiB (default 4MiB).",
            HelpName = "BYTES",
            DefaultValueFactory = _ => 4L << 20,
            CustomParser = r =>
            {
                var token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (!ByteSize.TryParse(token, out var size) || size is < 1L << 20 or > 64L << 20 || size % (1L << 20) != 0)
                {
                    r.AddError($"--shield-size expects a whole number of MiB from 1MiB to 64MiB, not '{token}'");
                    return 0;
                }

                return size;
            },
        };
        var shieldRounds = new Option<int>("--shield-rounds")
        {
            Description = "Passes over each kind of file and SQLite query rounds in the file-shield section, 1 to 100 (default 7).",
            HelpName = "N",
            DefaultValueFactory = _ => 7,
        };
        shieldRounds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100)
            {
                r.AddError("--shield-rounds must be 1 to 100");
            }
        });
        var command = new Command(
            "runtime",
            "Measure the enclave runtime in one run: process start, stem-cell specialisation, warm latency through the worker " +
            "vs the same function in-process, compile vs cache-hit load, sha256 of 1 MiB, host calls vs Wasmtime's built-in WASI, " +
            "the file shield: 4 KiB reads and SQLite queries from a shielded image vs its overlay and /tmp, with the bound " +
            "AES-GCM and SHA-256 on this CPU set, and the JavaScript enclave: its start and memory, a warm trivial action and a " +
            "CPU-bound one against the same functions under Node.js.")
        {
            examples, n, only, shieldSize, shieldRounds,
        };
        Examples.Set(command, "carapace bench runtime", "carapace bench runtime --n 1000", "carapace bench runtime --only files --shield-size 16MiB",
            "carapace bench runtime --only js");
        command.SetHandler(async (parse, cancel) =>
        {
            var dir = parse.GetValue(examples) ?? FindExamples()
                ?? throw new CliFailure("cannot find examples/out (run examples/build.sh, or give --examples DIR)", ExitCodes.Usage);
            var section = parse.GetValue(only);
            string[] needed = section switch
            {
                "files" => ["fsbench", "sqlite-query"],
                "js" => [],
                _ => ["hello", "sha256", "hostcall", "fsbench", "sqlite-query"],
            };
            foreach (var name in needed)
            {
                if (!File.Exists(Path.Combine(dir, name + ".wasm")))
                {
                    throw new CliFailure($"{Path.Combine(dir, name + ".wasm")} is missing (run examples/build.sh)", ExitCodes.IoError);
                }
            }

            var rounds = parse.GetValue(shieldRounds);
            var shield = new FileShieldBench.Settings((int)(parse.GetValue(shieldSize) >> 20), rounds, SqliteRounds: rounds);
            var bench = new RuntimeBench(dir, Math.Max(10, parse.GetValue(n)), shield, section, step => Console.Error.WriteLine($"measuring {step} …"));
            await bench.RunAsync(cancel).ConfigureAwait(false);
            var width = bench.Lines.Max(l => l.Name.Length);
            foreach (var (name, value) in bench.Lines)
            {
                Console.Out.WriteLine($"{name.PadRight(width)}  {value}".TrimEnd());
            }

            Console.Error.WriteLine("carapace: SIMULATION: enclaves are plain processes on this machine (no TEE isolation)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildInvoke()
    {
        var examples = new Option<string?>("--examples")
        {
            Description = "Folder with the compiled examples (hello.wasm, wordcount.wasm, sha256.wasm). Default: examples/out of the repository.",
            HelpName = "DIR",
        };
        var n = new Option<int>("--n") { Description = "Warm invocations per mode and concurrency (default 300).", DefaultValueFactory = _ => 300, HelpName = "N" };
        var concurrency = new Option<int[]>("--concurrency")
        {
            Description = "Concurrent clients; may repeat (default 1 and 8).",
            HelpName = "C",
            AllowMultipleArgumentsPerToken = true,
        };
        var cold = new Option<int>("--cold") { Description = "Cold starts to time, each a fresh deployment (default 5).", DefaultValueFactory = _ => 5, HelpName = "N" };
        var breakdown = new Option<bool>("--breakdown")
        {
            Description = "Also time N more warm confidential invocations one at a time and print each stage's p50 (gateway, admission, " +
                "records, scheduling, lane, enclave open/run/seal/receipt, response) from the platform's spans. Embedded platform only.",
        };
        var prefill = new Option<int>("--prefill")
        {
            Description = "Run N confidential invocations (eight at a time) before measuring, so that the store already holds N activations (default 0).",
            HelpName = "N",
        };
        var dataDir = Kms.KmsConnection.DataDirOption(
            "Benchmark the platform running for this data directory (its platform.json). Default: CARAPACE_URL + CARAPACE_AUTH if set, " +
            "otherwise an embedded platform started for the run in a temporary folder.");
        var command = new Command(
            "invoke",
            "Measure end-to-end invocation over HTTPS in one run: a trivial action confidential vs plaintext vs the baseline (the same module " +
            "behind the same HTTPS server, run by in-process Wasmtime: no enclave, no sealing, no records) — p50/p99 and throughput at each " +
            "concurrency — the stem-cell cold start, and a 3-step chain vs a single step; the last line is the confidential/baseline p50 ratio.")
        {
            examples, n, concurrency, cold, breakdown, prefill, dataDir,
        };
        Examples.Set(command, "carapace bench invoke", "carapace bench invoke --breakdown",
            "carapace bench invoke --n 1000 --concurrency 1 --concurrency 32", "carapace bench invoke --prefill 2000",
            "carapace bench invoke --data-dir ~/.carapace");
        command.SetHandler(async (parse, cancel) =>
        {
            var dir = parse.GetValue(examples) ?? FindExamples()
                ?? throw new CliFailure("cannot find examples/out (run examples/build.sh, or give --examples DIR)", ExitCodes.Usage);
            foreach (var name in new[] { "hello", "wordcount", "sha256" })
            {
                if (!File.Exists(Path.Combine(dir, name + ".wasm")))
                {
                    throw new CliFailure($"{Path.Combine(dir, name + ".wasm")} is missing (run examples/build.sh)", ExitCodes.IoError);
                }
            }

            var levels = parse.GetValue(concurrency) is { Length: > 0 } given ? given : [1, 8];
            if (levels.Any(c => c is < 1 or > 256) || parse.GetValue(n) is < 10 or > 1_000_000 || parse.GetValue(cold) is < 1 or > 100
                || parse.GetValue(prefill) is < 0 or > 1_000_000)
            {
                throw new CliFailure("--concurrency must be 1..256, --n 10..1000000, --cold 1..100 and --prefill 0..1000000", ExitCodes.Usage);
            }

            if (parse.GetValue(breakdown) && (parse.GetValue(dataDir) is not null || Environment.GetEnvironmentVariable(PlatformProfile.UrlVariable) is { Length: > 0 }))
            {
                throw new CliFailure("--breakdown collects the platform's spans in this process, so it needs the embedded platform: leave out --data-dir "
                    + "and CARAPACE_URL (a running platform exports its stages itself: 'carapace up --telemetry console|otlp')", ExitCodes.Usage);
            }

            PlatformProfile? profile = null;
            if (parse.GetValue(dataDir) is { } directory)
            {
                profile = PlatformProfile.Load(directory);
            }
            else if (Environment.GetEnvironmentVariable(PlatformProfile.UrlVariable) is { Length: > 0 })
            {
                profile = PlatformProfile.Resolve();
            }

            InvokeBench.Report report;
            var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            if (stderr.Profile.Capabilities.Interactive && !Console.IsErrorRedirected)
            {
                // A live status line on a terminal; plain progress lines otherwise (logs, CI).
                report = await stderr.Status().StartAsync("starting …", async status =>
                {
                    var bench = new InvokeBench(dir, parse.GetValue(n), levels, parse.GetValue(cold), parse.GetValue(breakdown), step => status.Status(Markup.Escape(step)))
                    {
                        Prefill = parse.GetValue(prefill),
                    };
                    return await bench.RunAsync(profile, cancel).ConfigureAwait(false);
                }).ConfigureAwait(false);
            }
            else
            {
                var bench = new InvokeBench(dir, parse.GetValue(n), levels, parse.GetValue(cold), parse.GetValue(breakdown), step => Console.Error.WriteLine($"measuring {step}"))
                {
                    Prefill = parse.GetValue(prefill),
                };
                report = await bench.RunAsync(profile, cancel).ConfigureAwait(false);
            }

            PrintInvoke(report);
            Console.Error.WriteLine("carapace: SIMULATION: enclaves are plain processes on this machine (no TEE isolation)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void PrintInvoke(InvokeBench.Report report)
    {
        static string Ms(double microseconds) => (microseconds / 1000).ToString("F2", CultureInfo.InvariantCulture);
        Console.Out.WriteLine($"platform: {report.Target}");
        Console.Out.WriteLine($"{"mode",-14}{"clients",8}{"n",7}{"p50 ms",10}{"p99 ms",10}{"per s",9}");
        foreach (var m in report.Modes)
        {
            Console.Out.WriteLine($"{m.Mode,-14}{m.Concurrency,8}{m.Latencies.Count,7}{Ms(m.Latencies.P50),10}{Ms(m.Latencies.P99),10}{m.PerSecond.ToString("F0", CultureInfo.InvariantCulture),9}");
        }

        Console.Out.WriteLine($"cold start (stem cell) p50: {Ms(report.Cold.P50)} ms, warm p50 {Ms(report.WarmSingle.P50)} ms: the cold start adds {Ms(report.Cold.P50 - report.WarmSingle.P50)} ms");
        Console.Out.WriteLine($"confidential with receipt verification p50: {Ms(report.Verified.P50)} ms");
        Console.Out.WriteLine($"3-step chain p50: {Ms(report.ChainLatencies.P50)} ms vs single step {Ms(report.WarmSingle.P50)} ms: {Ratio(report.ChainLatencies.P50 / report.WarmSingle.P50)}x");
        if (report.Stages is { } stages)
        {
            PrintStages(stages);
        }

        if (report.Store is { } store)
        {
            Console.Out.WriteLine($"store: {store.Activations} activations at the end ({store.Prefilled} prefilled), "
                + $"{(store.BytesPerActivation / 1024).ToString("F2", CultureInfo.InvariantCulture)} KiB per activation recorded during the measurements");
        }

        if (report.JavaScript is { } js)
        {
            Console.Out.WriteLine($"JavaScript (confidential nodejs:default) trivial p50: {Ms(js.Trivial.P50)} ms, sum loop of {JavaScriptBench.Loop:N0} p50: {Ms(js.Loop.P50)} ms");
            Console.Out.WriteLine(js.Node is { } node
                ? $"the same under Node.js {node.Version} (one warm process, no platform): trivial call {node.TrivialMicros.ToString("F1", CultureInfo.InvariantCulture)} µs, sum loop {Ms(node.LoopMicros)} ms"
                : $"the same under Node.js: not measured ({JavaScriptBench.NodePath} is missing)");
        }

        var single = report.Modes.Where(m => m.Concurrency == report.Modes.Min(x => x.Concurrency)).ToList();
        var confidential = single.Single(m => m.Mode == "confidential").Latencies.P50;
        var plaintext = single.Single(m => m.Mode == "plaintext").Latencies.P50;
        var baseline = single.Single(m => m.Mode == "baseline").Latencies.P50;
        Console.Out.WriteLine($"confidential/plaintext p50 ratio at {single[0].Concurrency} client(s): {Ratio(confidential / plaintext)}");
        Console.Out.WriteLine($"confidential/baseline p50 ratio at {single[0].Concurrency} client(s): {Ratio(confidential / baseline)}");
    }

    /// <summary>The <c>--breakdown</c> table: each stage's p50, indented under the stage that contains it, and its share of the round trip.</summary>
    private static void PrintStages(IReadOnlyList<(string Stage, int Depth, Latencies Latencies)> stages)
    {
        var whole = stages.FirstOrDefault(s => s.Stage == StageBreakdown.ClientStage).Latencies?.P50 ?? double.NaN;
        Console.Out.WriteLine($"stages of a warm confidential invocation ({stages[0].Latencies.Count} one at a time; p50 of each stage, so they need not add up):");
        Console.Out.WriteLine($"{"stage",-50}{"p50 ms",10}{"share",8}");
        foreach (var (stage, depth, latencies) in stages)
        {
            var share = (latencies.P50 / whole * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
            Console.Out.WriteLine($"{new string(' ', 2 * depth) + stage,-50}{(latencies.P50 / 1000).ToString("F3", CultureInfo.InvariantCulture),10}{share,8}");
        }
    }

    private static string? FindExamples()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples", "out");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static void Print(List<EnvelopeBench.Result> results)
    {
        var stdout = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("size")
            .AddColumn(new TableColumn("raw seal MB/s").RightAligned())
            .AddColumn(new TableColumn("envelope seal MB/s").RightAligned())
            .AddColumn(new TableColumn("seal ratio").RightAligned())
            .AddColumn(new TableColumn("raw open MB/s").RightAligned())
            .AddColumn(new TableColumn("envelope open MB/s").RightAligned())
            .AddColumn(new TableColumn("open ratio").RightAligned());
        foreach (var r in results)
        {
            var b = r.BytesPerSecond;
            table.AddRow(
                ByteSize.Format(r.Size),
                Mb(b[EnvelopeBench.Operation.RawSeal]),
                Mb(b[EnvelopeBench.Operation.EnvelopeSeal]),
                Ratio(r.SealRatio),
                Mb(b[EnvelopeBench.Operation.RawOpen]),
                Mb(b[EnvelopeBench.Operation.EnvelopeOpen]),
                Ratio(r.OpenRatio));
        }

        stdout.Write(table);
        var largest = results.MaxBy(r => r.Size)!;
        Console.Out.WriteLine($"envelope/raw open ratio at {ByteSize.Format(largest.Size)}: {Ratio(largest.OpenRatio)}");
        Console.Out.WriteLine($"envelope/raw seal ratio at {ByteSize.Format(largest.Size)}: {Ratio(largest.SealRatio)}");
    }

    private static string Mb(double bytesPerSecond) => (bytesPerSecond / 1e6).ToString("F0", CultureInfo.InvariantCulture);

    private static string Ratio(double ratio) => ratio.ToString("F2", CultureInfo.InvariantCulture);
}
