using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Carapace.Cli.Functions;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;

namespace Carapace.Cli.Kms;

/// <summary>
/// <c>carapace secret put|delete|approve|submit|list</c>. A put or delete is a write that the namespace's policy's
/// <c>approvals</c> owners sign: with enough <c>--sign</c> keys it is submitted at once; otherwise <c>--out</c> writes it as a
/// request file that the other owners sign offline (<c>approve</c>) and anyone submits (<c>submit</c>). The value is
/// sealed to the KMS's attested key before it leaves this process, so the request file never holds it in the clear.
/// </summary>
internal static class SecretCommands
{
    public static Command Build()
    {
        var secret = new Command("secret",
            "Secret values the KMS stores encrypted and releases only to attested functions its policy names. Storing, replacing and deleting one " +
            "needs the approval of k of the namespace's n owners (the policy's \"approvals\"), like a policy change.");
        secret.Add(BuildWrite(SecretOperation.Put));
        secret.Add(BuildWrite(SecretOperation.Delete));
        secret.Add(SecretRequestCommands.BuildApprove());
        secret.Add(SecretRequestCommands.BuildSubmit());
        secret.Add(SecretRequestCommands.BuildList());
        return secret;
    }

    private static Command BuildWrite(SecretOperation operation)
    {
        var put = operation == SecretOperation.Put;
        var target = new Argument<string>("NAMESPACE/NAME")
        {
            Description = "The namespace and the secret's name" + (put ? " as its policy declares it" : "") + ", split at the first '/'.",
        };
        var fromFile = new Option<string?>("--from-file")
        {
            Description = $"Read the value from FILE ('-' reads standard input); 1 to {SecretWrite.MaxValueBytes} bytes, stored as is.",
            HelpName = "FILE",
        };
        var imageKey = new Option<string?>("--image-key")
        {
            Description = "Store the key in this image key file (as 'carapace pack' writes it) instead: for the image-key.NAME.IMAGEID secret of a " +
                "confidential image whose namespace needs more than one approval.",
            HelpName = "FILE",
        };
        var sign = OwnerSigners.Option("--sign",
            "An owner key to sign the write with (FILE, or ID=FILE to name the owner); may repeat. The first one proposes it.", required: true);
        var output = new Option<string?>("--out")
        {
            Description = "Write the signed request to FILE instead of submitting it, for the other owners to 'carapace secret approve' and then " +
                "'carapace secret submit'. Needed unless the --sign keys are enough approvals.",
            HelpName = "FILE",
        };
        var expiresIn = new Option<string>("--expires-in")
        {
            Description = $"How long the approvals hold: N followed by m, h or d (default 7d, at most {SecretWrite.MaxLifetime.TotalDays:0}d). " +
                "The KMS refuses the write after that.",
            HelpName = "DURATION",
            DefaultValueFactory = _ => "7d",
        };
        var connection = new KmsConnection();
        var command = put
            ? new Command("put", "Store a new version of a secret (the first value of a declared secret, or a replacement). The value goes only to the KMS, " +
                "sealed to its attested key; it is never printed, logged or written to the request file in the clear.") { target, fromFile, imageKey, sign, output, expiresIn }
            : new Command("delete", "Delete every stored version of a secret (a secret the policy no longer declares too).") { target, sign, output, expiresIn };
        connection.AddTo(command);
        Examples.Set(command, put
            ? [
                "carapace secret put acme/db-password --from-file pw.txt --sign alice.key",
                "printf %s \"$TOKEN\" | carapace secret put acme/api-token --from-file - --sign alice.key --data-dir /srv/carapace",
                "carapace secret put acme/db-password --from-file pw.txt --sign alice.key --out db-password.request   # 2 of 3: then approve, submit",
                "carapace secret put acme/image-key.reader.0123abcd --image-key site.img.key --sign alice.key --out image-key.request",
            ]
            : [
                "carapace secret delete acme/old-token --sign alice.key",
                "carapace secret delete acme/db-password --sign alice.key --out delete.request   # then: secret approve, secret submit",
            ]);
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var (ns, name) = Split(parse.GetRequiredValue(target));
            var lifetime = ParseLifetime(parse.GetRequiredValue(expiresIn));
            var value = put ? await ReadValueAsync(parse.GetValue(fromFile), parse.GetValue(imageKey), cancel).ConfigureAwait(false) : null;
            try
            {
                using var client = connection.Connect(parse);
                var (document, policy) = await ProposeAsync(client, ns, name, value, parse.GetValue(sign) ?? [], lifetime, cancel).ConfigureAwait(false);
                if (parse.GetValue(output) is { } path)
                {
                    await SecretRequestFile.WriteAsync(path, document, cancel).ConfigureAwait(false);
                    Console.Error.WriteLine($"wrote the request to {path}: {document.Write}; {SecretRequestFile.Signers(document, policy)}");
                    Console.Error.WriteLine(document.Signatures.Count < policy.Approvals
                        ? $"next: other owners run 'carapace secret approve {path} --sign KEY', then anyone runs 'carapace secret submit {path}'"
                        : $"next: 'carapace secret submit {path}'");
                    return ExitCodes.Ok;
                }

                if (document.Signatures.Count < policy.Approvals)
                {
                    throw new CliFailure(
                        $"a {document.Write.OperationName} of a secret of namespace '{ns}' needs {policy.Approvals} of {policy.Owners.Count} owner approvals "
                        + $"(policy v{policy.Version}) and {document.Signatures.Count} signed: add --out REQUEST to write the request, then other owners run "
                        + "'carapace secret approve REQUEST --sign KEY' and anyone 'carapace secret submit REQUEST'");
                }

                var result = await client.SubmitSecretWriteAsync(document, cancel).ConfigureAwait(false);
                SecretRequestCommands.Report(result, value?.Length);
                return ExitCodes.Ok;
            }
            finally
            {
                if (value is not null)
                {
                    CryptographicOperations.ZeroMemory(value);
                }
            }
        });
        return command;
    }

    /// <summary>The write proposed by the first key and signed by the others, and the namespace's current policy.</summary>
    private static async Task<(SignedSecretWrite Document, KmsPolicy Policy)> ProposeAsync(KmsClient client, string ns, string name, byte[]? value,
        string[] keys, TimeSpan lifetime, CancellationToken cancel)
    {
        var current = await client.GetPolicyAsync(ns, cancel).ConfigureAwait(false)
            ?? throw new CliFailure($"namespace '{ns}' has no policy; its owners set one first with 'carapace policy set'");
        var policy = KmsPolicy.Parse(current.PolicyText);
        var signers = OwnerSigners.Load(keys, ns, policy.Owners);
        try
        {
            var (proposerId, proposer) = signers[0];
            var document = await client.ProposeSecretWriteAsync(ns, name, value, proposer, proposerId, lifetime, cancel).ConfigureAwait(false);
            foreach (var (id, key) in signers.Skip(1))
            {
                document = SecretWriteSigner.AddSignature(document, id, key);
            }

            return (document, policy);
        }
        finally
        {
            signers.ForEach(s => s.Key.Dispose());
        }
    }

    internal static (string Namespace, string Name) Split(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || !PolicyNames.IsValid(text[..slash]) || !PolicyNames.IsValid(text[(slash + 1)..]))
        {
            throw new CliFailure($"expected NAMESPACE/NAME, each of which {PolicyNames.Rule}; got '{text}'", ExitCodes.Usage);
        }

        return (text[..slash], text[(slash + 1)..]);
    }

    /// <summary>A lifetime such as <c>30m</c>, <c>12h</c>, <c>7d</c>: from 1 minute to <see cref="SecretWrite.MaxLifetime"/>.</summary>
    private static TimeSpan ParseLifetime(string text)
    {
        var unit = text.Length > 1 ? text[^1] : ' ';
        TimeSpan? lifetime = int.TryParse(text.AsSpan(0, Math.Max(0, text.Length - 1)), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? unit switch
            {
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            }
            : null;
        if (lifetime is not { } value || value < TimeSpan.FromMinutes(1) || value > SecretWrite.MaxLifetime)
        {
            throw new CliFailure($"--expires-in takes N followed by m, h or d, from 1m to {SecretWrite.MaxLifetime.TotalDays:0}d (e.g. 7d, 12h); got '{text}'",
                ExitCodes.Usage);
        }

        return value;
    }

    /// <summary>The value in one exactly-sized array (grown copies are zeroed); the caller zeroes it.</summary>
    private static async Task<byte[]> ReadValueAsync(string? path, string? imageKeyPath, CancellationToken cancel)
    {
        if ((path is null) == (imageKeyPath is null))
        {
            throw new CliFailure("give the value with exactly one of --from-file FILE and --image-key FILE", ExitCodes.Usage);
        }

        if (imageKeyPath is not null)
        {
            if (!File.Exists(imageKeyPath))
            {
                throw new CliFailure($"image key file {imageKeyPath} does not exist", ExitCodes.IoError);
            }

            return ImageKeySource.ReadKeyFile(imageKeyPath);
        }

        await using var input = CliIo.OpenInput(path);
        var buffer = new byte[SecretWrite.MaxValueBytes + 1];
        var count = 0;
        try
        {
            int read;
            while (count < buffer.Length && (read = await input.ReadAsync(buffer.AsMemory(count), cancel).ConfigureAwait(false)) > 0)
            {
                count += read;
            }

            if (count == 0 || count > SecretWrite.MaxValueBytes)
            {
                throw new CliFailure($"a secret value is 1 to {SecretWrite.MaxValueBytes} bytes; {(path == "-" ? "standard input" : path)} has " +
                    (count == 0 ? "none" : "more"));
            }

            return buffer.AsSpan(0, count).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
