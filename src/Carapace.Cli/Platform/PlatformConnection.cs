using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Client;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Platform;

/// <summary>
/// How a client command finds the platform: <c>--data-dir DIR</c> (its <c>platform.json</c>, written by
/// <c>carapace up</c>), or else <c>CARAPACE_URL</c> + <c>CARAPACE_AUTH</c>, or else <c>$CARAPACE_HOME</c> (~/.carapace);
/// and which reference values its measurements start from (<c>--reference-values</c>).
/// </summary>
internal sealed class PlatformConnection
{
    private readonly Option<string?> _dataDir = new("--data-dir")
    {
        Description = "The data directory of the platform to use (its platform.json, written by 'carapace up'). Default: CARAPACE_URL + " +
            "CARAPACE_AUTH when set, else $CARAPACE_HOME (~/.carapace).",
        HelpName = "DIR",
    };

    private readonly Option<string?> _referenceValues = ReferenceValuesOption.Create();

    public void AddTo(Command command)
    {
        command.Add(_dataDir);
        command.Add(_referenceValues);
    }

    /// <summary>The profile the options and environment name.</summary>
    public PlatformProfile Profile(ParseResult parse) => PlatformProfile.Resolve(parse.GetValue(_dataDir));

    /// <summary>A client of the chosen platform, with the key cache of its data directory (<see cref="KeyCacheSetting"/>).</summary>
    public CarapaceClient Connect(ParseResult parse)
    {
        var profile = Profile(parse);
        return CarapaceClient.Create(profile, new CarapaceClientOptions
        {
            ReferenceValuesPath = parse.GetValue(_referenceValues),
            KeyCache = KeyCacheSetting.For(profile.DataDirectory ?? PlatformProfile.DefaultDataDirectory),
        });
    }
}
