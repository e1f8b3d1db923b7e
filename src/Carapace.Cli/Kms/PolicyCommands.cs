using System.CommandLine;
using System.Text;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Invocation;
using Carapace.Kms.Client.Policy;

namespace Carapace.Cli.Kms;

/// <summary><c>carapace policy …</c>: owner keys, signing policies, and setting and showing them in the KMS.</summary>
internal static class PolicyCommands
{
    public static Command Build()
    {
        var policy = new Command("policy", "Owner keys and the signed, versioned, deny-by-default policies the KMS enforces per namespace.");
        var key = new Command("key", "Owner signing keys (ECDSA P-256).");
        key.Add(BuildKeyNew());
        policy.Add(key);
        policy.Add(BuildSign());
        policy.Add(BuildSet());
        policy.Add(BuildShow());
        return policy;
    }

    private static Command BuildKeyNew()
    {
        var outOption = new Option<string>("--out") { Description = "Where to write the private key (PKCS#8 PEM, mode 0600).", Required = true, HelpName = "FILE" };
        var id = new Option<string?>("--id") { Description = "The owner id to print in the policy entry. Default: the file name without extension.", HelpName = "NAME" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing key file (the old key is lost)." };
        var command = new Command("new", "Create an owner signing key and print the policy entry {\"id\", \"publicKey\"} to add under \"owners\".")
        {
            outOption, id, force,
        };
        Examples.Set(command, "carapace policy key new --out alice.key", "carapace policy key new --out keys/ops.key --id ops@acme");
        command.SetKmsHandler((parse, _) =>
        {
            var path = parse.GetRequiredValue(outOption);
            var name = parse.GetValue(id) ?? Path.GetFileNameWithoutExtension(path);
            if (!PolicyNames.IsValid(name))
            {
                throw new CliFailure($"the owner id '{name}' {PolicyNames.Rule}; choose one with --id", ExitCodes.Usage);
            }

            using var owner = OwnerKey.Create(path, parse.GetValue(force));
            Console.Error.WriteLine($"wrote owner key to {path} (mode 0600); add this entry to the \"owners\" of your policy:");
            Console.Out.WriteLine($"{{\"id\": \"{name}\", \"publicKey\": \"{owner.PublicKeyBase64}\"}}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command BuildSign()
    {
        var file = new Argument<string>("FILE") { Description = "A policy (JSON) to sign, or a signed policy document to add signatures to." };
        var keys = OwnerSigners.Option("--key", "An owner key (FILE, or ID=FILE to name the owner); may repeat. Without ID the owner is found by its public key among the policy's owners.", required: true);
        var output = CommonOptions.Out();
        var command = new Command("sign", "Sign a policy as one or more owners, writing the signed policy document (to pass to the next owner or to 'policy set').")
        {
            file, keys, output,
        };
        Examples.Set(command,
            "carapace policy sign acme.json --key alice.key --out acme.signed.json",
            "carapace policy sign acme.signed.json --key bob.key --out acme.signed.json",
            "carapace policy sign acme.json --key alice=old-alice.key --key bob.key > acme.signed.json");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var (document, policy) = PolicyDocument.Read(parse.GetRequiredValue(file));
            document = AddSignatures(document, policy, parse.GetValue(keys) ?? [], current: null);
            await using var sink = CliIo.OpenOutput(parse.GetValue(output));
            await sink.Stream.WriteAsync(document.ToJson(), cancel).ConfigureAwait(false);
            await sink.Stream.WriteAsync("\n"u8.ToArray(), cancel).ConfigureAwait(false);
            await sink.CommitAsync(cancel).ConfigureAwait(false);
            Console.Error.WriteLine($"signed policy v{policy.Version} of namespace '{policy.Namespace}'; signatures: " +
                string.Join(", ", document.Signatures.Select(s => s.Owner)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildSet()
    {
        var file = new Argument<string>("FILE") { Description = "A policy (JSON) or a signed policy document." };
        var sign = OwnerSigners.Option("--sign", "Sign with this owner key first (FILE or ID=FILE); may repeat. Needed unless FILE already carries enough signatures.", required: false);
        var connection = new KmsConnection();
        var command = new Command("set", "Submit a policy to the KMS. It needs the approvals (k of n owner signatures) the namespace's current policy requires, and a higher version.")
        {
            file, sign,
        };
        connection.AddTo(command);
        Examples.Set(command,
            "carapace policy set acme.json --sign alice.key",
            "carapace policy set acme.json --sign alice.key --sign bob.key --data-dir /srv/carapace",
            "carapace policy set acme.signed.json --kms https://127.0.0.1:7443/ --quoting-key kms-quoting.pem");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var (document, policy) = PolicyDocument.Read(parse.GetRequiredValue(file));
            using var client = connection.Connect(parse);
            var signers = parse.GetValue(sign) ?? [];
            if (signers.Length > 0)
            {
                var current = await client.GetPolicyAsync(policy.Namespace, cancel).ConfigureAwait(false);
                document = AddSignatures(document, policy, signers, current is null ? null : KmsPolicy.Parse(current.PolicyText));
            }

            var update = await client.SetPolicyAsync(document.ToJson(), cancel).ConfigureAwait(false);
            // Keys this machine cached under the old policy must not outlive it here.
            new ChainKeyCache(ChainKeyCache.DirectoryIn(connection.DataDirectory(parse)), ChainKeyCache.DefaultLifetime).Clear();
            foreach (var note in update.Ignored)
            {
                Console.Error.WriteLine("carapace: note: " + note);
            }

            Console.Out.WriteLine($"policy v{update.Version} of namespace '{update.Namespace}' accepted, approved by {string.Join(", ", update.ApprovedBy)}" +
                (update.PreviousVersion is { } previous ? $" (replaces v{previous})" : " (new namespace)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildShow()
    {
        var ns = new Argument<string>("NAMESPACE") { Description = "The namespace." };
        var signed = new Option<bool>("--signed") { Description = "Print the whole signed document (policy text and owner signatures) instead of the policy." };
        var connection = new KmsConnection();
        var command = new Command("show", "Print the current policy of a namespace, as the KMS accepted it.") { ns, signed };
        connection.AddTo(command);
        Examples.Set(command, "carapace policy show acme", "carapace policy show acme --signed > acme.signed.json");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var name = parse.GetRequiredValue(ns);
            if (!PolicyNames.IsValid(name))
            {
                throw new CliFailure($"the namespace '{name}' {PolicyNames.Rule}", ExitCodes.Usage);
            }

            using var client = connection.Connect(parse);
            var document = await client.GetPolicyAsync(name, cancel).ConfigureAwait(false)
                ?? throw new CliFailure($"namespace '{name}' has no policy; its owners set one with 'carapace policy set'");
            var text = parse.GetValue(signed) ? Encoding.UTF8.GetString(document.ToJson()) : document.PolicyText;
            Console.Out.Write(text.EndsWith('\n') ? text : text + "\n");
            Console.Error.WriteLine($"signed by {string.Join(", ", document.Signatures.Select(s => s.Owner))}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static SignedPolicy AddSignatures(SignedPolicy document, KmsPolicy policy, IEnumerable<string> keys, KmsPolicy? current)
    {
        var signers = OwnerSigners.Load(keys, policy.Namespace, current?.Owners, policy.Owners);
        try
        {
            foreach (var (id, key) in signers)
            {
                document = PolicySigner.AddSignature(document, id, key);
            }

            return document;
        }
        finally
        {
            signers.ForEach(s => s.Key.Dispose());
        }
    }
}
