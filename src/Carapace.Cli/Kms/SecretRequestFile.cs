using System.Globalization;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;

namespace Carapace.Cli.Kms;

/// <summary>
/// The request files of <c>secret put/delete --out</c>, <c>secret approve</c> and <c>secret submit</c>: a
/// <see cref="SignedSecretWrite"/> document. It holds the value only sealed to the KMS, so it may be mailed between owners.
/// </summary>
internal static class SecretRequestFile
{
    /// <summary>The document in <paramref name="path"/>.</summary>
    public static SignedSecretWrite Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"request file {path} does not exist", ExitCodes.IoError);
        }

        var length = new FileInfo(path).Length;
        if (length > SignedSecretWrite.MaxBytes)
        {
            throw new CliFailure($"{path} is {length} bytes; a secret write request is at most {SignedSecretWrite.MaxBytes}");
        }

        try
        {
            return SignedSecretWrite.Parse(File.ReadAllBytes(path));
        }
        catch (SecretWriteException e)
        {
            throw new CliFailure($"{path} is not a secret write request ('carapace secret put/delete … --out FILE' writes one): "
                + string.Join("; ", e.Errors));
        }
    }

    /// <summary>Writes <paramref name="document"/> to <paramref name="path"/> (atomically: the old file stays until the new one is complete).</summary>
    public static async Task WriteAsync(string path, SignedSecretWrite document, CancellationToken cancel)
    {
        await using var sink = CliIo.OpenOutput(path);
        await sink.Stream.WriteAsync(document.ToJson(), cancel).ConfigureAwait(false);
        await sink.Stream.WriteAsync("\n"u8.ToArray(), cancel).ConfigureAwait(false);
        await sink.CommitAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>Who signed it so far, and how many of the owners' approvals that is when <paramref name="policy"/> is known.</summary>
    public static string Signers(SignedSecretWrite document, KmsPolicy? policy)
    {
        var names = document.Signatures.Count == 0 ? "nobody" : string.Join(", ", document.Signatures.Select(s => s.Owner));
        return policy is null
            ? $"signed by {names}"
            : string.Create(CultureInfo.InvariantCulture, $"signed by {names}: {document.Signatures.Count} of the {policy.Approvals} approvals ")
              + string.Create(CultureInfo.InvariantCulture, $"(of {policy.Owners.Count} owners) policy v{policy.Version} of namespace '{policy.Namespace}' needs");
    }
}
