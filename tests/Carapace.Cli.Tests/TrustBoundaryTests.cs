namespace Carapace.Cli.Tests;

/// <summary>
/// The client side references no enclave or KMS-server code: the SDK not at all, and the CLI only where it hosts them
/// — <c>carapace kms start</c> runs the KMS server and <c>carapace bench runtime</c> runs the WASI runtime in process. Every
/// other CLI command (deploy, invoke, policy, secret, measure, pack, …) is a client, checked by the types its compiled
/// code references (<see cref="ReferencedTypes"/>).
/// </summary>
public sealed class TrustBoundaryTests
{
    private static readonly HashSet<string> s_hosts = ["Carapace.Cli.Kms.KmsCommands", "Carapace.Cli.Bench.DirectRunner"];

    [Fact]
    public void The_SDK_references_no_enclave_or_KMS_server_type()
    {
        var sdk = ReferencedTypes.Read(Path.Combine(AppContext.BaseDirectory, "Carapace.Client.dll"));

        Assert.DoesNotContain(sdk.All, IsEnclaveOrKmsServer);
        Assert.Contains(sdk.All, use => use.Assembly == "Carapace.Kms.Client");
    }

    [Fact]
    public void Only_the_CLI_s_hosting_commands_reference_enclave_or_KMS_server_types()
    {
        var cli = ReferencedTypes.Read(Path.Combine(AppContext.BaseDirectory, "carapace.dll"));
        var users = cli.ByType.Where(entry => entry.Value.Any(IsEnclaveOrKmsServer)).Select(entry => entry.Key).ToHashSet();

        Assert.Subset(s_hosts, users);
        Assert.Contains("Carapace.Cli.Kms.KmsCommands", users);
    }

    private static bool IsEnclaveOrKmsServer(TypeUse use) => use.Assembly is "Carapace.Enclave" or "Carapace.Kms";
}
