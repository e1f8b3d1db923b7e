namespace Carapace.Gateway.Web;

/// <summary>The web route's error messages: OpenWhisk's own sentences, so that clients written for it read them unchanged.</summary>
internal static class WebMessages
{
    public const string ParametersNotAllowed = "Request defines parameters that are not allowed (e.g., reserved properties).";
    public const string PropertyNotFound = "Response does not include requested property.";
    public const string UnknownContentType = "Response did not specify a known content-type.";
    public const string ContentTypeError = "Response type in header did not match generated content type.";
    public const string ErrorProcessingRequest = "There was an error processing your request.";
    public const string ResponseNotReady = "Response not yet ready.";
    public const string Unauthorized = "Authentication is possible but has failed or not yet been provided.";

    public static string InvalidMedia(string mediaType) => $"Response is not valid '{mediaType}'.";

    /// <summary>Carapace's refusal of a confidential action on the web route, and why.</summary>
    public static string Confidential(string action) =>
        $"The action {action} is confidential: its input and output are envelopes that only its attested enclaves open, "
        + "and a web request carries plain HTTP, so the web route cannot serve it. Web actions serve only actions deployed with "
        + "the annotation confidential: false; invoke this one with 'carapace invoke' or the Carapace client SDK.";
}
