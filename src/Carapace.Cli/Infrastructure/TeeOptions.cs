using System.CommandLine;
using Carapace.Attestation.Tee;

namespace Carapace.Cli.Infrastructure;

/// <summary>
/// <c>--tee sim|tdx|snp</c> and <c>--tee-config FILE</c> of the commands that start trusted processes (<c>up</c>,
/// <c>kms start</c>): the TEE is chosen once per start, from the option, else the configuration's <c>"tee"</c> key
/// (<c>DIR/tee.json</c>, or the named file), else simulation. Anything unusable is a usage error naming what to do;
/// nothing falls back to simulation.
/// </summary>
internal sealed class TeeOptions
{
    private readonly Option<string?> _tee = new("--tee")
    {
        Description = "The TEE to run in: sim (no hardware, insecure), tdx (an Intel TDX confidential VM) or snp (an AMD SEV-SNP "
            + "confidential VM), through Linux configfs-tsm. Default: the \"tee\" key of the TEE configuration, else sim. Missing hardware is an error, never a fallback.",
        HelpName = "sim|tdx|snp",
    };

    private readonly Option<string?> _config = new("--tee-config")
    {
        Description = "The TEE configuration (tee, tsmPath, roots, dcapCollateral, snpVcek, vms; see docs/attestation.md). Default: <DIR>/tee.json when it exists.",
        HelpName = "FILE",
    };

    public void AddTo(Command command)
    {
        command.Add(_tee);
        command.Add(_config);
    }

    /// <summary>The settings for a process over <paramref name="dataDirectory"/>; a <see cref="CliFailure"/> (usage) when they cannot be used.</summary>
    public TeeSettings Resolve(ParseResult parse, string dataDirectory)
    {
        try
        {
            return TeeSettings.Resolve(parse.GetValue(_tee), parse.GetValue(_config), dataDirectory);
        }
        catch (TeeConfigurationException e)
        {
            throw new CliFailure(e.Message, ExitCodes.Usage);
        }
    }

    /// <summary>Checks now that the hardware of <paramref name="settings"/> is there and of its kind (nothing to check for simulation).</summary>
    public static void Probe(TeeSettings settings)
    {
        if (settings.IsSimulated)
        {
            return;
        }

        try
        {
            using var backend = TeeBackend.Hardware(settings.Kind, settings.TsmPath);
        }
        catch (TeeConfigurationException e)
        {
            throw new CliFailure(e.Message, ExitCodes.Usage);
        }
    }

    /// <summary>Opens the evidence backend of <paramref name="settings"/> (the simulation key in <paramref name="simulationDirectory"/>).</summary>
    public static TeeBackend Open(TeeSettings settings, string simulationDirectory)
    {
        try
        {
            return settings.OpenBackend(simulationDirectory);
        }
        catch (TeeConfigurationException e)
        {
            throw new CliFailure(e.Message, ExitCodes.Usage);
        }
    }
}
