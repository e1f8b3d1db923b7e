namespace Carapace.Controller.Packages;

/// <summary>OpenWhisk's parameter inheritance: a layer's parameters replace those of the layers under it, key by key.</summary>
public static class ParameterMerge
{
    /// <summary>
    /// <paramref name="under"/> with every entry of <paramref name="over"/> replacing the one of the same key (kept in
    /// place) or added after them: package &lt; binding &lt; action, as OpenWhisk merges them.
    /// </summary>
    public static IReadOnlyList<KeyValue> Over(IReadOnlyList<KeyValue> under, IReadOnlyList<KeyValue> over)
    {
        ArgumentNullException.ThrowIfNull(under);
        ArgumentNullException.ThrowIfNull(over);
        if (under.Count == 0)
        {
            return over;
        }

        var merged = new List<KeyValue>(under.Count + over.Count);
        var replacing = over.ToDictionary(p => p.Key, StringComparer.Ordinal);
        foreach (var entry in under)
        {
            merged.Add(replacing.Remove(entry.Key, out var replacement) ? replacement : entry);
        }

        merged.AddRange(over.Where(p => replacing.ContainsKey(p.Key)));
        return merged;
    }
}
