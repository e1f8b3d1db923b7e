using System.CommandLine;
using System.Security.Cryptography;
using Carapace.Cli.Infrastructure;
using Carapace.Functions;

namespace Carapace.Cli.Functions;

/// <summary><c>carapace measure</c>: predicts the measurement an enclave will report for a function.</summary>
internal static class MeasureCommand
{
    public static Command Build()
    {
        var inputs = new FunctionInputs();
        var json = new Option<bool>("--json") { Description = "Print the measurement and its parts as JSON." };
        var referenceValues = ReferenceValuesOption.Create();
        var command = new Command(
            "measure",
            "Print the measurement of a function: SHA-256 over the enclave runtime's identity, the module and the canonical " +
            "manifest (limits, arguments, environment, image root). The runtime identity comes from the reference values the build " +
            "writes beside the native enclave (or --reference-values). Give the same options as to 'run'.")
        {
            json,
            referenceValues,
        };
        inputs.AddTo(command);
        Examples.Set(command, "carapace measure examples/out/hello.wasm", "carapace measure readfile.wasm --image data.img --memory 32MiB --json");
        command.SetHandler((parse, _) =>
        {
            var (module, manifest, _) = inputs.Load(parse);
            var runtime = ReferenceValuesOption.Load(parse, referenceValues).RuntimeIdentityValue;
            var moduleHash = SHA256.HashData(module);
            var encoded = manifest.Encode();
            var measurement = Measurement.Compute(runtime, moduleHash, encoded);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(
                    $$"""{"measurement":"{{Hex(measurement)}}","runtime":"{{Hex(runtime)}}","module":"{{Hex(moduleHash)}}","manifest":"{{Hex(SHA256.HashData(encoded))}}","image":{{(manifest.Image is { } i ? $"\"{Hex(i.Root.Span)}\"" : "null")}}}""");
            }
            else
            {
                Console.Out.WriteLine(Hex(measurement));
                Console.Error.WriteLine($"runtime  {Hex(runtime)} ({RuntimeIdentity.Label})");
                Console.Error.WriteLine($"module   {Hex(moduleHash)}");
                Console.Error.WriteLine($"manifest {Hex(SHA256.HashData(encoded))}");
                if (manifest.Image is { } image)
                {
                    Console.Error.WriteLine($"image    {Hex(image.Root.Span)}");
                }
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
