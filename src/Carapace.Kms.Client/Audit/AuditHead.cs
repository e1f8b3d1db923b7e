namespace Carapace.Kms.Client.Audit;

/// <summary>
/// The newest record of the log: its sequence number and hash. Kept (with a MAC) beside the log, and meant to be
/// copied elsewhere — into receipts or to an outside witness — so that truncation can be detected later.
/// </summary>
/// <param name="Seq">The sequence number of the newest record.</param>
/// <param name="Hash">Its hash, lower-case hex.</param>
public readonly record struct AuditHead(long Seq, string Hash);
