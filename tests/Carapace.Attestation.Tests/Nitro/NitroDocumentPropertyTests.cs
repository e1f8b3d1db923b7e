using Carapace.Attestation.Nitro;
using FsCheck;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.Nitro;

public sealed class NitroDocumentPropertyTests
{
    private static readonly NitroDocumentVerifier _verifier = new();
    private static readonly VerificationOptions _options = NitroTestData.Options();

    [Property(MaxTest = 300)]
    public bool Random_bytes_are_rejected_without_an_exception(byte[] bytes) =>
        !_verifier.Verify(bytes, _options).Verified;

    [Property(MaxTest = 300)]
    public bool Random_bytes_behind_a_COSE_Sign1_header_are_rejected_without_an_exception(byte[] body)
    {
        // 0x84 0x44 {1: -35} 0xA0 …: gets past the envelope, so the payload parser sees the random bytes.
        byte[] bytes = [0x84, 0x44, 0xA1, 0x01, 0x38, 0x22, 0xA0, .. body];
        return !_verifier.Verify(bytes, _options).Verified;
    }

    [Property(MaxTest = 300)]
    public bool Mutations_of_the_real_document_are_rejected_without_an_exception(NonEmptyArray<int> positions, NonEmptyArray<byte> masks)
    {
        var bytes = NitroTestData.Document;
        var distinct = positions.Get.Select(p => (int)((uint)p % (uint)bytes.Length)).Distinct().ToArray();
        for (var i = 0; i < distinct.Length; i++)
        {
            var mask = masks.Get[i % masks.Get.Length];
            bytes[distinct[i]] ^= mask == 0 ? (byte)0xFF : mask;
        }

        return !_verifier.Verify(bytes, _options).Verified;
    }

    [Property(MaxTest = 200)]
    public bool Truncated_or_extended_real_documents_are_rejected_without_an_exception(NonNegativeInt cut, byte[] tail)
    {
        var document = NitroTestData.Document;
        var keep = cut.Get % document.Length;
        byte[] bytes = [.. document.AsSpan(0, keep), .. tail];
        return bytes.AsSpan().SequenceEqual(document) || !_verifier.Verify(bytes, _options).Verified;
    }
}
