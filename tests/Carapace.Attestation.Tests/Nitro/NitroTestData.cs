namespace Carapace.Attestation.Tests.Nitro;

/// <summary>The evervault Nitro document (MANIFEST.md, nitro/) and options to check it with.</summary>
internal static class NitroTestData
{
    public const string Pcr0 = "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf150142d8b";
    public const string Pcr1 = "bcdf05fefccaa8e55bf2c8d6dee9e79bbff31e34bf28a99aa19e6b29c37ee80b214a414b7607236edf26fcb78654e63f";
    public const string Pcr2 = "d8f114da658de5481f8d9ec73907feb553560787522f705c92d7d96beed8e15e2aa611984e098c576832c292e8dc469a";
    public const string Pcr8 = "8790eb3cce6c83d07e84b126dc61ca923333d6f66615c4a79157de48c5ab2418bdc60746ea7b7afbff03a1c6210201cb";
    public const string ModuleId = "i-020b6af9246d90e92-enc0183d09086c24190";
    public const ulong Timestamp = 1665651482136;

    public static readonly DateTimeOffset ValidAt = Vectors.Utc("2022-10-13T09:30:00Z");

    private static readonly Lazy<byte[]> _documentBytes = new(() => Vectors.Bytes("nitro/evervault_nitro_doc_2022-10-13.cbor"));

    /// <summary>A fresh copy of the document.</summary>
    public static byte[] Document => (byte[])_documentBytes.Value.Clone();

    public static VerificationOptions Options(DateTimeOffset? at = null) => new() { At = at ?? ValidAt };
}
