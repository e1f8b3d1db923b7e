using System.Globalization;
using Carapace.Functions;
using Jint.Runtime;

namespace Carapace.Enclave.Js;

/// <summary>
/// <c>Date</c>'s clock: the enclave's wall clock rounded down to the manifest's resolution (1 ms by default), as WASI's
/// realtime clock; the Unix epoch when the manifest does not grant the wall clock. Time zone UTC.
/// </summary>
internal sealed class EnclaveClock(FunctionManifest manifest) : DefaultTimeSystem(TimeZoneInfo.Utc, CultureInfo.InvariantCulture)
{
    public override DateTimeOffset GetUtcNow()
    {
        if (!manifest.Realtime)
        {
            return DateTimeOffset.UnixEpoch;
        }

        var now = DateTimeOffset.UtcNow;
        var resolution = Math.Max(1, manifest.ClockResolutionNanoseconds / 100);
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % resolution), TimeSpan.Zero);
    }
}
