using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;

namespace Carapace.Cli.Kms;

/// <summary><c>carapace secret approve</c> (offline), <c>secret submit</c> and <c>secret list</c>.</summary>
internal static class SecretRequestCommands
{
    public static Command BuildApprove()
    {
        var file = new Argument<string>("REQUEST") { Description = "A request file from 'carapace secret put/delete … --out' (or an earlier approve)." };
        var sign = OwnerSigners.Option("--sign",
            "An owner key to approve with (ID=FILE works offline; a bare FILE is looked up among the owners of the namespace's current policy in the KMS); may repeat.",
            required: true);
        var output = new Option<string?>("--out") { Description = "Write the signed request here instead of back to REQUEST.", HelpName = "FILE" };
        var connection = new KmsConnection();
        var command = new Command("approve",
            "Add owner signatures to a secret write request. Shows what is approved (namespace, secret, put or delete, write version, the sealed " +
            "value's hash, expiry); the value itself is sealed to the KMS and no owner sees it. Needs no KMS when every key is given as ID=FILE.")
        {
            file, sign, output,
        };
        connection.AddTo(command);
        Examples.Set(command,
            "carapace secret approve db-password.request --sign bob=bob.key",
            "carapace secret approve db-password.request --sign bob.key --data-dir /srv/carapace",
            "carapace secret approve delete.request --sign bob=bob.key --sign carol=carol.key --out delete.signed");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var path = parse.GetRequiredValue(file);
            var document = SecretRequestFile.Read(path);
            var write = document.Write;
            if (write.Expires <= DateTimeOffset.UtcNow)
            {
                throw new CliFailure($"the request in {path} expired at {write.ExpiresText}; ask for a new one");
            }

            var keys = parse.GetValue(sign) ?? [];
            KmsPolicy? policy = null;
            if (!keys.All(OwnerSigners.NamesOwner))
            {
                using var client = connection.Connect(parse);
                var current = await client.GetPolicyAsync(write.Namespace, cancel).ConfigureAwait(false)
                    ?? throw new CliFailure($"namespace '{write.Namespace}' has no policy; its owners set one first with 'carapace policy set'");
                policy = KmsPolicy.Parse(current.PolicyText);
            }

            Console.Error.WriteLine($"approving: {write}");
            var signers = OwnerSigners.Load(keys, write.Namespace, policy?.Owners);
            try
            {
                foreach (var (id, key) in signers)
                {
                    document = SecretWriteSigner.AddSignature(document, id, key);
                }
            }
            finally
            {
                signers.ForEach(s => s.Key.Dispose());
            }

            var target = parse.GetValue(output) ?? path;
            await SecretRequestFile.WriteAsync(target, document, cancel).ConfigureAwait(false);
            Console.Error.WriteLine($"wrote {target}; {SecretRequestFile.Signers(document, policy)}");
            Console.Error.WriteLine(policy is not null && document.Signatures.Count < policy.Approvals
                ? $"next: more owners run 'carapace secret approve {target} --sign KEY'"
                : $"next: 'carapace secret submit {target}'{(policy is null ? " once enough owners signed" : "")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildSubmit()
    {
        var file = new Argument<string>("REQUEST") { Description = "A request file signed by enough owners." };
        var connection = new KmsConnection();
        var command = new Command("submit",
            "Send a signed secret write request to the KMS, which applies it only with the approvals (k of n owner signatures) the namespace's " +
            "current policy requires, as the secret's next write and before it expires. Anyone may submit; the signatures decide.")
        {
            file,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace secret submit db-password.request", "carapace secret submit delete.signed --data-dir /srv/carapace");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var document = SecretRequestFile.Read(parse.GetRequiredValue(file));
            using var client = connection.Connect(parse);
            Report(await client.SubmitSecretWriteAsync(document, cancel).ConfigureAwait(false), null);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildList()
    {
        var ns = new Argument<string>("NAMESPACE") { Description = "The namespace." };
        var sign = new Option<string>("--sign")
        {
            Description = "The owner key to sign the request with (FILE, or ID=FILE to name the owner).",
            Required = true,
            HelpName = "KEY",
        };
        var json = new Option<bool>("--json") { Description = "Print {\"namespace\", \"secrets\": [{name, declared, version, createdAt, lastWrite}]} as JSON." };
        var connection = new KmsConnection();
        var command = new Command("list",
            "List a namespace's secrets as one of its owners: each declared, stored or written one with its stored version and time and its last " +
            "write (the next write of it carries that + 1). Never a value.")
        {
            ns, sign, json,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace secret list acme --sign alice.key", "carapace secret list acme --sign alice.key --json");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var name = parse.GetRequiredValue(ns);
            if (!PolicyNames.IsValid(name))
            {
                throw new CliFailure($"the namespace '{name}' {PolicyNames.Rule}", ExitCodes.Usage);
            }

            using var client = connection.Connect(parse);
            var (ownerId, owner) = await OwnerSession.ResolveAsync(client, name, parse.GetRequiredValue(sign), cancel).ConfigureAwait(false);
            IReadOnlyList<SecretListEntry> entries;
            using (owner)
            {
                entries = await client.ListSecretsAsync(name, owner, ownerId, cancel).ConfigureAwait(false);
            }

            if (parse.GetValue(json))
            {
                WriteJson(name, entries);
                return ExitCodes.Ok;
            }

            var width = Math.Max(4, entries.Select(e => e.Name.Length).DefaultIfEmpty(0).Max());
            Console.Out.WriteLine($"{"NAME".PadRight(width)}  VERSION  STORED                LAST WRITE  DECLARED");
            foreach (var e in entries)
            {
                var version = e.Version?.ToString(CultureInfo.InvariantCulture) ?? "-";
                var stored = e.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{e.Name.PadRight(width)}  {version,-7}  {stored,-20}  {e.LastWrite,-10}  {(e.Declared ? "yes" : "no")}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Prints an applied write on stdout, and the signatures that did not count on stderr.</summary>
    internal static void Report(SecretWriteResult result, int? valueLength)
    {
        foreach (var note in result.Ignored)
        {
            Console.Error.WriteLine("carapace: note: " + note);
        }

        var size = valueLength is { } n ? string.Create(CultureInfo.InvariantCulture, $" ({n} bytes)") : "";
        Console.Out.WriteLine(result.Operation == SecretOperation.Put
            ? $"stored secret '{result.Secret}' of namespace '{result.Namespace}' as version {result.Version}{size}, approved by {string.Join(", ", result.ApprovedBy)}"
            : $"deleted secret '{result.Secret}' of namespace '{result.Namespace}' (write v{result.Version}), approved by {string.Join(", ", result.ApprovedBy)}");
    }

    private static void WriteJson(string ns, IReadOnlyList<SecretListEntry> entries)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("namespace", ns);
            w.WriteStartArray("secrets");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteBoolean("declared", e.Declared);
                if (e.Version is { } version)
                {
                    w.WriteNumber("version", version);
                }
                else
                {
                    w.WriteNull("version");
                }

                if (e.CreatedAt is { } at)
                {
                    w.WriteString("createdAt", at);
                }
                else
                {
                    w.WriteNull("createdAt");
                }

                w.WriteNumber("lastWrite", e.LastWrite);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }
}
