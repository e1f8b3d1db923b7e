namespace Carapace.Platform.Tests;

/// <summary>
/// Design rules over the compiled untrusted projects (the worker, the protocol, the controller, the platform host and
/// the gateway, all beside these tests): by every type their code references — signatures, attributes, locals and
/// method bodies, not only public members — none reaches the enclave, the KMS server, key material, evidence issuers or
/// plaintext sealing and opening (<see cref="TrustRules"/>), except the gateway's plaintext edge, for what it is for.
/// And by their project files, no untrusted project and no client links the enclave executable or the KMS server.
/// </summary>
public sealed class TrustBoundaryTests
{
    public static TheoryData<string> UntrustedWithoutEdge => ["Carapace.Worker", "Carapace.Protocol", "Carapace.Controller", "Carapace.Platform"];

    [Theory]
    [MemberData(nameof(UntrustedWithoutEdge))]
    public void No_type_of_an_untrusted_project_references_trusted_code_keys_or_plaintext(string project)
    {
        var assembly = Read(project);

        Assert.NotEmpty(assembly.ByType);
        Assert.Empty(TrustRules.Offenders(assembly));
    }

    [Fact]
    public void Only_the_gateway_s_plaintext_edge_and_TLS_authority_reference_keys_and_neither_reaches_trusted_code()
    {
        var gateway = Read("Carapace.Gateway");

        Assert.Empty(TrustRules.Offenders(gateway, TrustRules.GatewayEdge));
    }

    [Fact]
    public void The_rules_see_references_made_only_inside_method_bodies()
    {
        // The plaintext edge opens results with EnvelopeOpener in a method body, and the platform host asks its KMS for
        // its health in one: were bodies not read, these rules could pass on code that unseals plaintext.
        var gateway = Read("Carapace.Gateway");
        var bridge = gateway.ByType["Carapace.Gateway.Invocations.PlaintextBridge"];
        Assert.Contains(new TypeUse("Carapace.Envelope", "Carapace.Envelope.Sealing.EnvelopeOpener"), bridge);
        Assert.NotEmpty(TrustRules.Offenders(gateway));
        Assert.Contains(new TypeUse("Carapace.Kms.Client", "Carapace.Kms.Client.KmsClient"), Read("Carapace.Platform").All);
    }

    [Fact]
    public void No_untrusted_project_and_no_client_links_the_enclave_executable_or_the_KMS_server()
    {
        var closures = TrustRules.ProjectClosures();
        var offenders = TrustRules.Untrusted.Append("Carapace.Client")
            .SelectMany(project => closures[project].Intersect(TrustRules.TrustedPrograms).Select(trusted => $"{project} -> {trusted}"))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_enclave_and_the_libraries_shared_with_clients_link_the_KMS_client_not_the_KMS_server()
    {
        var closures = TrustRules.ProjectClosures();

        Assert.Contains("Carapace.Kms.Client", closures["Carapace.Enclave"]);
        Assert.DoesNotContain("Carapace.Kms", closures["Carapace.Enclave"]);
        foreach (var library in new[] { "Carapace.Functions", "Carapace.Kms.Client", "Carapace.Envelope", "Carapace.Attestation" })
        {
            Assert.Empty(closures[library].Intersect(TrustRules.TrustedPrograms));
        }
    }

    private static ReferencedTypes Read(string project) => ReferencedTypes.Read(Path.Combine(AppContext.BaseDirectory, project + ".dll"));
}
