namespace Carapace.Fuzz;

/// <summary>
/// One parser of bytes from an untrusted party, as the fuzzer and the corpus replay see it: a name (also the name of
/// its corpus folder, <c>fuzz/corpus/&lt;name&gt;/</c>), what it parses, the call, and the exception types that are its
/// documented way of refusing input. Anything else escaping <see cref="Parse"/> is a crash (see <see cref="CrashRule"/>).
/// </summary>
/// <param name="Name">Lower-case, dash-separated; the command-line argument and the corpus folder name.</param>
/// <param name="Summary">One line: which parser, reached how.</param>
/// <param name="Parse">Parses the input the way the owning component does; returns normally when the input is accepted.</param>
/// <param name="Refusals">The documented failure types: an exception of one of these types (or a subclass) is a refusal.</param>
internal sealed record FuzzTarget(string Name, string Summary, Action<byte[]> Parse, IReadOnlyList<Type> Refusals)
{
    /// <summary>True when <paramref name="exception"/> is one of the target's documented refusals.</summary>
    public bool IsRefusal(Exception exception) => Refusals.Any(t => t.IsInstanceOfType(exception));
}
