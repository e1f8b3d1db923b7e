namespace Carapace.Gateway.Auth;

/// <summary>
/// The OpenWhisk-style credential of a namespace: a UUID and a secret key, sent as HTTP basic auth
/// <c>uuid:key</c>. Returned once, when created; the store keeps only a salted hash of the key.
/// </summary>
/// <param name="Namespace">The namespace it grants access to.</param>
/// <param name="Uuid">The public half (the basic-auth user name).</param>
/// <param name="Key">The secret half (the basic-auth password).</param>
public sealed record NamespaceCredential(string Namespace, string Uuid, string Key)
{
    /// <summary>The <c>uuid:key</c> form OpenWhisk clients take (<c>wsk property set --auth</c>).</summary>
    public string Auth => Uuid + ":" + Key;

    /// <summary>The namespace and UUID only; the key is never part of the text form.</summary>
    public override string ToString() => $"{Namespace} ({Uuid})";
}
