namespace Carapace.Cli.Envelopes;

/// <summary>Parses <c>--meta k=v[,k=v…]</c> values (the option may repeat) into attribute pairs.</summary>
internal static class MetaPairs
{
    public static bool TryParse(IEnumerable<string> values, out SortedDictionary<string, string> pairs, out string error)
    {
        pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        error = string.Empty;
        foreach (var value in values)
        {
            foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
            {
                var eq = item.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    error = $"--meta expects k=v pairs separated by commas, not '{item}'";
                    return false;
                }

                var name = item[..eq];
                if (!pairs.TryAdd(name, item[(eq + 1)..]))
                {
                    error = $"--meta sets '{name}' twice";
                    return false;
                }
            }
        }

        return true;
    }
}
