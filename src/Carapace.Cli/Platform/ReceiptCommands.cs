using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Tee;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Platform;

/// <summary><c>carapace receipt verify FILE</c>: check receipts offline against the platform's quoting key.</summary>
internal static class ReceiptCommands
{
    public static Command Build()
    {
        var receipt = new Command("receipt", "Invocation receipts: signed by the enclave's attested key, naming what ran over which sealed data.");
        receipt.Add(BuildVerify());
        return receipt;
    }

    private static Command BuildVerify()
    {
        var file = new Argument<string>("FILE") { Description = "The receipts: a JSON array of base64 receipts (as 'carapace invoke --receipt' writes), or one raw receipt." };
        var connection = new PlatformConnection();
        var command = new Command("verify",
            "Verify receipts offline: each one's signature, its evidence (against the platform's simulation quoting key, from the profile; on a " +
            "confidential VM platform against the roots, collateral and trusted VM images of its TEE configuration) and that the evidence binds " +
            "the signing key and the measurement; then whether they link into one run of a chain. Prints what each receipt states; exits 1 when any check fails.")
        {
            file,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace invoke pipeline --input in.txt --receipt receipts.json && carapace receipt verify receipts.json");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            var receipts = Read(parse.GetRequiredValue(file));
            await using var client = connection.Connect(parse);
            await client.GetKmsAsync(cancel).ConfigureAwait(false);
            var tee = client.Tee;
            var options = client.ReceiptOptions();
            var verified = new List<Receipt>();
            var failed = 0;
            for (var i = 0; i < receipts.Count; i++)
            {
                var verification = ReceiptVerifier.Verify(receipts[i], options);
                if (!verification.Verified)
                {
                    failed++;
                    Console.Out.WriteLine($"receipt {i + 1}: NOT VERIFIED ({verification})");
                    continue;
                }

                if (!tee.IsSimulated && VmProblem(tee, verification.Attestation!) is { } problem)
                {
                    failed++;
                    Console.Out.WriteLine($"receipt {i + 1}: NOT VERIFIED (it ran in a confidential VM the TEE configuration does not trust: {problem})");
                    continue;
                }

                verified.Add(verification.Receipt!);
                Print(i + 1, verification.Receipt!, verification.Attestation!);
            }

            if (failed == 0 && verified.Count > 0)
            {
                var first = verified[0];
                var last = verified.MaxBy(r => r.Step)!;
                var linked = ReceiptChain.Check(verified, first.RequestId, first.Chain, verified.Count, first.InputSha256.Span, last.OutputSha256.Length == 32
                    ? last.OutputSha256.Span : new byte[32]);
                Console.Out.WriteLine(linked.Valid
                    ? $"chain '{first.Chain}': {verified.Count} step(s) of request {first.RequestId}, linked from the sealed input to the sealed output"
                    : $"chain '{first.Chain}': NOT LINKED ({linked})");
                failed += linked.Valid ? 0 : 1;
            }

            if (failed > 0)
            {
                throw new CliFailure($"{failed} check(s) failed in {receipts.Count} receipt(s)");
            }

            Console.Error.WriteLine($"{receipts.Count} receipt{(receipts.Count == 1 ? "" : "s")} verified"
                + (tee.IsSimulated ? " (SIMULATION evidence: no hardware protection)" : $" ({TeeKinds.Name(tee.Kind)} evidence from trusted VM images)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(int index, Receipt r, AttestationResult evidence)
    {
        static string Hex(ReadOnlyMemory<byte> bytes) => bytes.Length == 0 ? "(none)" : Convert.ToHexStringLower(bytes.Span);
        var o = Console.Out;
        o.WriteLine($"receipt {index}: verified");
        o.WriteLine($"  function     {r.Function} (namespace {r.Namespace})");
        o.WriteLine($"  chain        {r.Chain}, step {r.Step}");
        o.WriteLine($"  measurement  {Hex(r.Measurement)}");
        o.WriteLine($"  request      {r.RequestId}");
        o.WriteLine($"  input        sha256 {Hex(r.InputSha256)}");
        o.WriteLine($"  output       sha256 {Hex(r.OutputSha256)}");
        o.WriteLine($"  log          sha256 {Hex(r.LogSha256)}");
        o.WriteLine($"  status       {r.Status} (exit {r.ExitCode})");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  time         {r.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}Z .. {r.End.UtcDateTime:HH:mm:ss.ffffff}Z (run {r.WallMicroseconds / 1000.0:0.000} ms)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  resources    fuel {r.Fuel}, memory {r.MemoryBytes} bytes"));
        o.WriteLine($"  evidence     {evidence.Kind}{(evidence.Insecure ? " (insecure: no hardware protection)" : "")}");
        if (evidence.Kind is EvidenceKind.Tdx or EvidenceKind.SevSnp)
        {
            o.WriteLine($"  vm           launch measurement {Hex(evidence.Measurement)}, TCB {evidence.TcbStatus}");
        }
    }

    /// <summary>Why the VM of a receipt's hardware evidence is not trusted (debug, or not an image of the configuration), or null.</summary>
    private static string? VmProblem(TeeSettings tee, AttestationResult evidence)
    {
        if (evidence.Debug)
        {
            return "it is a debug VM";
        }

        var verdict = ConfidentialVm.Evaluate(tee.Vms, evidence);
        return verdict.Accepted ? null : verdict.Message;
    }

    /// <summary>The receipts in <paramref name="path"/>: a JSON array of base64 strings, or one raw CBOR receipt.</summary>
    private static IReadOnlyList<byte[]> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"receipt file {path} does not exist", ExitCodes.IoError);
        }

        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes).TrimStart();
        if (!text.StartsWith('['))
        {
            return [bytes];
        }

        try
        {
            using var json = JsonDocument.Parse(bytes);
            return [.. json.RootElement.EnumerateArray().Select(e => e.GetBytesFromBase64())];
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new CliFailure($"{path} is not a JSON array of base64 receipts ({e.Message})");
        }
    }
}
