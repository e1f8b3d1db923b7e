using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Policy;

namespace Carapace.Cli.Kms;

/// <summary>
/// Owner keys named on the command line as <c>FILE</c> or <c>ID=FILE</c>. Without an id, the owner is found by the
/// key's public key among the owners of the policies the command knows (the one being signed, the KMS's current one).
/// </summary>
internal static class OwnerSigners
{
    public static Option<string[]> Option(string name, string description, bool required) => new(name)
    {
        Description = description,
        HelpName = "KEY",
        Required = required,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Loads each key and names its owner. The caller disposes the keys.</summary>
    public static List<(string Id, OwnerKey Key)> Load(IEnumerable<string> values, string ns, params IReadOnlyList<PolicyPrincipal>?[] ownerLists)
    {
        var loaded = new List<(string, OwnerKey)>();
        try
        {
            foreach (var value in values)
            {
                var (explicitId, path) = Split(value);
                var key = OwnerKey.Load(path);
                loaded.Add((explicitId ?? IdOf(key, path, ns, ownerLists), key));
            }

            return loaded;
        }
        catch
        {
            loaded.ForEach(k => k.Item2.Dispose());
            throw;
        }
    }

    /// <summary>True when <paramref name="value"/> names its owner (<c>ID=FILE</c>), so no policy is needed to find it.</summary>
    public static bool NamesOwner(string value) => Split(value).Id is not null;

    private static bool SameKey(string base64, ReadOnlySpan<byte> publicKey)
    {
        var buffer = new byte[(base64.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(base64, buffer, out var written) && buffer.AsSpan(0, written).SequenceEqual(publicKey);
    }

    private static (string? Id, string Path) Split(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0 && !File.Exists(value) && PolicyNames.IsValid(value[..equals]))
        {
            return (value[..equals], value[(equals + 1)..]);
        }

        if (!File.Exists(value))
        {
            throw new CliFailure($"owner key file {value} does not exist (give FILE or ID=FILE)", ExitCodes.IoError);
        }

        return (null, value);
    }

    private static string IdOf(OwnerKey key, string path, string ns, IReadOnlyList<PolicyPrincipal>?[] ownerLists)
    {
        foreach (var owners in ownerLists)
        {
            if (owners?.FirstOrDefault(o => SameKey(o.PublicKey, key.PublicKey.Span)) is { } owner)
            {
                return owner.Id;
            }
        }

        throw new CliFailure($"the key in {path} belongs to no owner of namespace '{ns}'; name the owner it signs as with ID={path}");
    }
}
