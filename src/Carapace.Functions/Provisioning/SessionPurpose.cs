namespace Carapace.Functions.Provisioning;

/// <summary>Associated-data labels of session messages.</summary>
internal static class SessionPurpose
{
    public const string Provisioning = "carapace provisioning v1";
    public const string Confirmation = "carapace specialized v1";
}
