using System.Globalization;

namespace Carapace.Attestation.Tee;

/// <summary>
/// The lowest AMD SEV-SNP TCB a confidential VM may report: each security patch level of REPORTED_TCB (boot loader,
/// PSP OS, SNP firmware, microcode) must be at least the one given. AMD publishes no TCB levels like Intel's, so this
/// minimum is the owner's decision (e.g. the levels AMD's latest security bulletin requires).
/// </summary>
/// <param name="BootLoader">Minimum boot loader SPL.</param>
/// <param name="Tee">Minimum PSP OS (TEE) SPL.</param>
/// <param name="Snp">Minimum SNP firmware SPL.</param>
/// <param name="Microcode">Minimum microcode SPL.</param>
public sealed record SnpMinimumTcb(int BootLoader, int Tee, int Snp, int Microcode)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"bootloader {BootLoader}, tee {Tee}, snp {Snp}, microcode {Microcode}");
}
