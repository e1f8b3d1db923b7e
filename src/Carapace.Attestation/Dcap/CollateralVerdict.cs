namespace Carapace.Attestation.Dcap;

/// <summary>What verified collateral says about a quote.</summary>
/// <param name="Tcb">The TCB evaluation.</param>
/// <param name="TcbInfo">The verified TCB info.</param>
/// <param name="Window">The period in which every collateral item and its signing chains are valid.</param>
internal sealed record CollateralVerdict(TcbVerdict Tcb, TcbInfo TcbInfo, ValidityWindow Window);
