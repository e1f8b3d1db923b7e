using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Images;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;
using Microsoft.Data.Sqlite;

namespace Carapace.Cli.Bench;

/// <summary>
/// The file-shield section of <c>carapace bench runtime</c>. Everything runs through the real path a function uses:
/// a shielded image is packed and mounted in a real enclave, and a WASI guest reads through the enclave's WASI file
/// system, timing itself with the guest clock. <c>fsbench</c> reads the same bytes in 4 KiB reads (sequential and
/// random) from the image, from the image's in-enclave overlay (a copied-up file) and from <c>/tmp</c>; then
/// <c>sqlite-query</c> runs the same queries over a database in the image and over its copy in <c>/tmp</c>. The
/// bound comes from AES-GCM and SHA-256 measured on this CPU in the same run (<see cref="ShieldCryptoBound"/>).
/// </summary>
internal sealed class FileShieldBench(string examples, FileShieldBench.Settings settings, Action<string> progress)
{
    private const int Block = 4096;
    private const double Goal = 0.7;

    /// <summary>The sizes of the section: file size, passes, database rows and query repeats.</summary>
    public sealed record Settings(int FileMiB = 4, int Rounds = 7, int SqliteRows = 100_000, int SqliteRounds = 5)
    {
        /// <summary>How long each cryptographic primitive is timed.</summary>
        public TimeSpan CryptoTime { get; init; } = TimeSpan.FromMilliseconds(300);
    }

    private readonly List<(string Name, string Value)> _lines = [];

    /// <summary>The rows of the section, in order.</summary>
    public IReadOnlyList<(string Name, string Value)> Lines => _lines;

    /// <summary>Packs the test image under <paramref name="home"/>, runs both guests and measures the bound.</summary>
    public async Task RunAsync(EnclaveLaunchOptions launch, ModuleCacheStore cache, string home, CancellationToken cancel)
    {
        var fsbench = await File.ReadAllBytesAsync(Path.Combine(examples, "fsbench.wasm"), cancel).ConfigureAwait(false);
        var sqlite = await File.ReadAllBytesAsync(Path.Combine(examples, "sqlite-query.wasm"), cancel).ConfigureAwait(false);
        progress("file shield: packing the image");
        var tree = Directory.CreateDirectory(Path.Combine(home, "shield-tree")).FullName;
        var content = RandomNumberGenerator.GetBytes(settings.FileMiB << 20);
        await File.WriteAllBytesAsync(Path.Combine(tree, "blob"), content, cancel).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(tree, "blob2"), content, cancel).ConfigureAwait(false);
        var databaseBytes = CreateDatabase(Path.Combine(tree, "bench.db"), settings.SqliteRows);
        var imagePath = Path.Combine(home, "shield.img");
        var key = RandomNumberGenerator.GetBytes(ImageKeys.KeySize);
        ImageDescription image;
        await using (var output = new FileStream(imagePath, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            image = ImagePacker.Pack(tree, output, ImageKeys.NewImageId(), key);
        }

        await using var cells = new StemCellPool(launch, size: 0);
        var reference = new ImageReference(image.ImageId, image.Root);

        progress("file shield: 4 KiB reads (image, overlay, /tmp)");
        var reads = await InvokeAsync(cells, cache, fsbench, imagePath, key, new FunctionManifest
        {
            Name = "fsbench",
            Arguments = ["--rounds", Text(settings.Rounds), "/data/blob", "/data/blob2", "/tmp/blob"],
            Image = reference,
            TmpBytes = (2L * settings.FileMiB << 20) + (1 << 20),
            ClockResolutionNanoseconds = 1_000,
            TimeoutMilliseconds = 10 * 60 * 1000,
        }, cancel).ConfigureAwait(false);
        var readRows = FsbenchOutput.Parse(reads.Stdout);


        progress("file shield: SQLite over the image and over /tmp");
        var queries = new SqliteQueries(settings.SqliteRounds, settings.SqliteRows);
        var sql = await InvokeAsync(cells, cache, sqlite, imagePath, key, new FunctionManifest
        {
            Name = "sqlite-query",
            Arguments = ["--readonly", "--time", "--db", "/data/bench.db", "vacuum into '/tmp/bench.db'", "attach '/tmp/bench.db' as t", .. queries.Sql],
            Image = reference,
            TmpBytes = databaseBytes + (4L << 20),
            ClockResolutionNanoseconds = 1_000,
            TimeoutMilliseconds = 10 * 60 * 1000,
        }, cancel).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(key);

        progress("file shield: AES-GCM and SHA-256 on this CPU");
        var bound = new ShieldCryptoBound(settings.CryptoTime).Measure();
        Report(readRows, reads, image.ImageBytes, queries, sql, bound);
    }

    private void Report(FsbenchOutput reads, Invocation fsbench, long imageBytes, SqliteQueries queries, Invocation sql, ShieldCryptoBound bound)
    {
        Add($"file shield: 4 KiB reads of a {settings.FileMiB} MiB file in a WASI guest through the enclave, p50 of {settings.Rounds} passes", "");
        var first = reads.FirstReadMicros;
        Add("  sequential, shielded image, first read of each block", $"{Us(first)} per read ({Mb(ShieldCryptoBound.MegabytesPerSecond(first))} MB/s)");
        foreach (var mode in new[] { "seq", "rand" })
        {
            var name = mode == "seq" ? "sequential" : "random";
            foreach (var kind in FsbenchOutput.Kinds)
            {
                var micros = reads.MicrosPerRead(kind, mode);
                Add($"  {name}, {Where(kind)}", $"{Us(micros)} per read ({Mb(ShieldCryptoBound.MegabytesPerSecond(micros))} MB/s)");
            }
        }

        Add("  setup, not in the figures above",
            $"specialisation (once per enclave) {Ms(fsbench.SpecializeMicros)}, of which module load {Ms(fsbench.LoadMicros)} and keys + mount of the "
            + $"{(imageBytes / (1 << 20)).ToString(CultureInfo.InvariantCulture)} MiB image {Ms(fsbench.SpecializeMicros - fsbench.LoadMicros)}; "
            + $"copy-up {Ms(reads.CopyUpMicros)}; copy to /tmp {Ms(reads.TmpCopyMicros)}");

        var (scanImage, scanTmp, lookImage, lookTmp) = queries.Times(sql.Log);
        Add($"  SQLite full scan of {Text(settings.SqliteRows)} rows, shielded image / /tmp, p50 of {settings.SqliteRounds}", $"{Ms(scanImage)} / {Ms(scanTmp)}");
        Add($"  SQLite {Text(SqliteQueries.Lookups)} random lookups, shielded image / /tmp, p50 of {settings.SqliteRounds}", $"{Ms(lookImage)} / {Ms(lookTmp)}");
        if (!queries.SameAnswers(sql.Stdout))
        {
            throw new InvalidOperationException("SQLite answered differently over the image and over /tmp");
        }

        Add("  AES-256-GCM verify + decrypt of a 4 KiB block on this CPU", $"{Us(bound.DecryptMicros)} ({Mb(ShieldCryptoBound.MegabytesPerSecond(bound.DecryptMicros))} MB/s)");
        Add("  SHA-256 of 4 KiB on this CPU (the image's Merkle tree hashes 29-byte leaves, at mount only)",
            $"{Us(bound.Sha256BlockMicros)} ({Mb(ShieldCryptoBound.MegabytesPerSecond(bound.Sha256BlockMicros))} MB/s); a leaf {Us(bound.LeafMicros)}");
        var tmpSeq = reads.MicrosPerRead("tmp", "seq");
        var tmpRand = reads.MicrosPerRead("tmp", "rand");
        var bestFirst = tmpSeq + bound.DecryptMicros;
        Add("  bound for a first read: /tmp read + decrypt (no hashing per read)", $"{Us(bestFirst)} per 4 KiB");
        var seqRatio = tmpSeq / reads.MicrosPerRead("image", "seq");
        var randRatio = tmpRand / reads.MicrosPerRead("image", "rand");
        Add("  speed ratio shielded/overlay, sequential / random",
            $"{Ratio(reads.MicrosPerRead("overlay", "seq") / reads.MicrosPerRead("image", "seq"))} / {Ratio(reads.MicrosPerRead("overlay", "rand") / reads.MicrosPerRead("image", "rand"))}");
        Add("  speed ratio shielded/tmp, sequential / random", $"{Ratio(seqRatio)} / {Ratio(randRatio)}");
        Add("  speed ratio shielded/tmp, SQLite scan / lookups", $"{Ratio(scanTmp / scanImage)} / {Ratio(lookTmp / lookImage)}");
        Add("  speed ratio shielded/tmp, first read of each block / its bound", $"{Ratio(tmpSeq / first)} / {Ratio(tmpSeq / bestFirst)}");
        Add($"  goal: shielded reads ≥ {Ratio(Goal)}× in-memory reads", (Math.Min(seqRatio, randRatio) >= Goal ? "met" : "not met") + " (cached blocks)");
    }

    private static string Where(string kind) => kind switch
    {
        "image" => "shielded image (verified blocks cached)",
        "overlay" => "overlay (copied up, enclave memory)",
        _ => "/tmp (enclave memory)",
    };

    /// <summary>Writes a database of <paramref name="rows"/> rows (id, name, price, note) and returns its size.</summary>
    private static long CreateDatabase(string path, int rows)
    {
        var connection = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        using (var db = new SqliteConnection(connection))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = """
                pragma journal_mode = delete;
                create table item(id integer primary key, name text not null, price integer not null, note text not null);
                with recursive n(i) as (select 1 union all select i + 1 from n where i < $rows)
                insert into item select i, 'item ' || i, (i * 7919) % 100000, hex(randomblob(32)) from n;
                """;
            command.Parameters.AddWithValue("$rows", rows);
            command.ExecuteNonQuery();
        }

        return new FileInfo(path).Length;
    }

    private static async Task<Invocation> InvokeAsync(StemCellPool cells, ModuleCacheStore cache, byte[] module, string imagePath, byte[] key,
        FunctionManifest manifest, CancellationToken cancel)
    {
        // The plan zeroes the key it is given when disposed: it gets its own copy.
        using var plan = ProvisioningPlan.Create(module, manifest, key.ToArray());
        long load = 0;
        await using var pool = new FunctionPool(cells, new FunctionDefinition
        {
            Module = module,
            ImagePath = imagePath,
            Provision = (ready, _) => Task.FromResult<IProvisioningSession>(new LoadSpy(plan.ProvisionFor(ready), micros => load = micros)),
            MaxInstances = 1,
        }, cache);
        var outcome = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, []), cancel).ConfigureAwait(false);
        var result = outcome.Result;
        var log = "";
        if (!result.Log.IsEmpty)
        {
            using var opened = EnvelopeOpener.Open(plan.Log, result.Log.Span);
            log = Encoding.UTF8.GetString(opened.Payload.Span);
        }

        if (result.Status != InvocationStatus.Completed || result.ExitCode != 0)
        {
            throw new InvalidOperationException($"benchmark function {manifest.Name} failed: {result.Status} {result.ExitCode} {result.Message} {log}".TrimEnd());
        }

        var stdout = "";
        if (!result.Output.IsEmpty)
        {
            using var opened = EnvelopeOpener.Open(plan.Output, result.Output.Span);
            stdout = Encoding.UTF8.GetString(opened.Payload.Span);
        }

        return new Invocation(stdout, log, outcome.SpecializeMicroseconds, load);
    }

    private void Add(string name, string value) => _lines.Add((name, value));

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Ms(double micros) => (micros / 1000).ToString("F2", CultureInfo.InvariantCulture) + " ms";

    private static string Us(double micros) => micros.ToString("F2", CultureInfo.InvariantCulture) + " µs";

    private static string Mb(double megabytesPerSecond) => megabytesPerSecond.ToString("F0", CultureInfo.InvariantCulture);

    private static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture);

    private sealed record Invocation(string Stdout, string Log, long SpecializeMicros, long LoadMicros);
}
