namespace Carapace.Protocol;

/// <summary>The type byte of a frame. Enclave→host types are below 0x10, host→enclave types from 0x10, the doorbell (both ways) 0x20.</summary>
public enum MessageType : byte
{
    /// <summary>Enclave → host: started, engine ready, here is my session public key.</summary>
    Ready = 0x01,

    /// <summary>Enclave → host: a function is loaded and measured.</summary>
    Specialized = 0x02,

    /// <summary>Enclave → host: the outcome of one invocation.</summary>
    Result = 0x03,

    /// <summary>Enclave → host: a request could not be served (the enclave stays up unless it says otherwise).</summary>
    Failure = 0x04,

    /// <summary>Host → enclave: load this function with this sealed provisioning.</summary>
    Specialize = 0x10,

    /// <summary>Host → enclave: run the function on this sealed input.</summary>
    Invoke = 0x11,

    /// <summary>Host → enclave: zero everything and exit.</summary>
    Shutdown = 0x12,

    /// <summary>
    /// Either way, over the pipe only, empty body: "a frame is waiting in the shared lane" (see
    /// <see cref="Lane.SharedLane"/>). It answers nothing and may arrive for a frame already taken.
    /// </summary>
    Doorbell = 0x20,
}
