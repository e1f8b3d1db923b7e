using Carapace.Functions;
using Carapace.Kms.Client;

namespace Carapace.EnclaveBuild;

/// <summary>The two computations the native enclave's build needs, with the rules written once in Carapace's libraries.</summary>
internal static class BuildSteps
{
    public static int Run(string[] args)
    {
        try
        {
            switch (args)
            {
                case ["kms-measurement"]:
                    // The KMS files of this build are beside this program (it links Carapace.Kms).
                    Console.Out.WriteLine(Convert.ToHexStringLower(KmsIdentity.Compute(AppContext.BaseDirectory)));
                    return 0;
                case ["reference-values", var enclaveDirectory]:
                    var kms = KmsIdentity.Compute(AppContext.BaseDirectory);
                    foreach (var runtime in EnclaveRuntime.All)
                    {
                        var values = ReferenceValues.Compute(runtime, enclaveDirectory, kms);
                        var path = Path.Combine(enclaveDirectory, runtime.ReferenceValuesFileName);
                        values.Write(path);
                        Console.Out.WriteLine($"carapace: {runtime} runtime identity {Convert.ToHexStringLower(values.RuntimeIdentityValue)} → {path}");
                    }

                    return 0;
                default:
                    Console.Error.WriteLine("usage: Carapace.EnclaveBuild kms-measurement | reference-values ENCLAVE_DIR (run by the build)");
                    return 2;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("Carapace.EnclaveBuild: " + e.Message);
            return 1;
        }
    }
}
