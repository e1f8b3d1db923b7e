namespace Carapace.Kms.Client.Policy;

/// <summary>The rule for names in policies (namespaces, owners, clients, functions, secrets, chains).</summary>
public static class PolicyNames
{
    /// <summary>The longest name, in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// True when <paramref name="name"/> is 1 to 128 ASCII letters, digits and <c>. _ - : @ /</c>, starting with a letter
    /// or digit.
    /// </summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or ':' or '@' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The sentence used in errors about a name that breaks the rule.</summary>
    public static string Rule => $"must be 1 to {MaxLength} ASCII letters, digits and . _ - : @ /, starting with a letter or digit";
}
