using System.Globalization;

namespace Carapace.Tests.FakeTee;

/// <summary>Fixed instants for the imitation TEE PKIs and their collateral.</summary>
internal static class FakeTeeTime
{
    public static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
