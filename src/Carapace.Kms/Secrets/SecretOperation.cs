namespace Carapace.Kms.Secrets;

/// <summary>What a <see cref="SecretWrite"/> does to its secret.</summary>
public enum SecretOperation
{
    /// <summary>Stores a value: the first one of a secret the policy declares, or a replacement of the current one.</summary>
    Put,

    /// <summary>Deletes every stored version of the secret.</summary>
    Delete,
}
