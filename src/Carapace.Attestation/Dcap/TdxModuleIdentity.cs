namespace Carapace.Attestation.Dcap;

/// <summary>
/// The identity of a TDX module in the TDX TCB info: the <c>tdxModule</c> object (TDX module major version 0) or an
/// entry of <c>tdxModuleIdentities</c> (id <c>TDX_</c> and the major version in two hex digits).
/// </summary>
/// <param name="Id">The identity's id; empty for the <c>tdxModule</c> object.</param>
/// <param name="MrSigner">The signer every TD report's MRSIGNERSEAM must equal (48 bytes).</param>
/// <param name="Attributes">The expected SEAMATTRIBUTES (8 bytes).</param>
/// <param name="Levels">The module's own TCB levels (identities only).</param>
internal sealed record TdxModuleIdentity(string Id, byte[] MrSigner, byte[] Attributes, IReadOnlyList<IsvTcbLevel> Levels)
{
    public static TdxModuleIdentity Read(JsonFields module, bool withLevels) => new(
        withLevels ? module.String("id") : "",
        module.Hex("mrsigner", 48),
        module.Hex("attributes", 8),
        withLevels ? IsvTcbLevel.ReadAll(module) : []);
}
