using System.CommandLine;
using System.Security.Cryptography;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Secrets;

namespace Carapace.Cli.Kms;

/// <summary><c>carapace secret put</c>: uploads a secret value to the KMS over attested TLS, signed by a namespace owner.</summary>
internal static class SecretCommands
{
    public static Command Build()
    {
        var secret = new Command("secret", "Secret values the KMS stores encrypted and releases only to attested functions its policy names.");
        secret.Add(BuildPut());
        return secret;
    }

    private static Command BuildPut()
    {
        var target = new Argument<string>("NAMESPACE/NAME")
        {
            Description = "The namespace and the secret's name as its policy declares it, split at the first '/'.",
        };
        var fromFile = new Option<string>("--from-file")
        {
            Description = $"Read the value from FILE ('-' reads standard input); 1 to {SecretValue.MaxBytes} bytes, stored as is.",
            Required = true,
            HelpName = "FILE",
        };
        var sign = new Option<string>("--sign")
        {
            Description = "The owner key to sign the request with (FILE, or ID=FILE to name the owner).",
            Required = true,
            HelpName = "KEY",
        };
        var connection = new KmsConnection();
        var command = new Command("put", "Store a new version of a secret in the KMS. The value goes only to the KMS, after its attestation verified; " +
            "it is never printed or logged.")
        {
            target, fromFile, sign,
        };
        connection.AddTo(command);
        Examples.Set(command,
            "carapace secret put acme/db-password --from-file pw.txt --sign alice.key",
            "printf %s \"$TOKEN\" | carapace secret put acme/api-token --from-file - --sign alice.key --data-dir /srv/carapace");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var (ns, name) = Split(parse.GetRequiredValue(target));
            var value = await ReadValueAsync(parse.GetRequiredValue(fromFile), cancel).ConfigureAwait(false);
            try
            {
                using var client = connection.Connect(parse);
                var (ownerId, owner) = await OwnerSession.ResolveAsync(client, ns, parse.GetRequiredValue(sign), cancel).ConfigureAwait(false);
                using (owner)
                {
                    var info = await client.PutSecretAsync(ns, name, value, owner, ownerId, cancel).ConfigureAwait(false);
                    Console.Out.WriteLine($"stored secret '{info.Name}' of namespace '{info.Namespace}' as version {info.Version} ({value.Length} bytes)");
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(value);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static (string Namespace, string Name) Split(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || !PolicyNames.IsValid(text[..slash]) || !PolicyNames.IsValid(text[(slash + 1)..]))
        {
            throw new CliFailure($"expected NAMESPACE/NAME, each of which {PolicyNames.Rule}; got '{text}'", ExitCodes.Usage);
        }

        return (text[..slash], text[(slash + 1)..]);
    }

    /// <summary>The value in one exactly-sized array (grown copies are zeroed); the caller zeroes it.</summary>
    private static async Task<byte[]> ReadValueAsync(string path, CancellationToken cancel)
    {
        await using var input = CliIo.OpenInput(path);
        var buffer = new byte[SecretValue.MaxBytes + 1];
        var count = 0;
        try
        {
            int read;
            while (count < buffer.Length && (read = await input.ReadAsync(buffer.AsMemory(count), cancel).ConfigureAwait(false)) > 0)
            {
                count += read;
            }

            if (count == 0 || count > SecretValue.MaxBytes)
            {
                throw new CliFailure($"a secret value is 1 to {SecretValue.MaxBytes} bytes; {(path == "-" ? "standard input" : path)} has " +
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
