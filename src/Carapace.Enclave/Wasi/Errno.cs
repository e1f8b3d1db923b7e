namespace Carapace.Enclave.Wasi;

/// <summary>WASI preview 1 error numbers (wasi_snapshot_preview1 <c>errno</c>), with their ABI values.</summary>
public enum Errno : ushort
{
    /// <summary>No error.</summary>
    Success = 0,
    /// <summary>Argument list too long.</summary>
    TooBig = 1,
    /// <summary>Permission denied.</summary>
    Access = 2,
    /// <summary>Bad file descriptor.</summary>
    BadF = 8,
    /// <summary>Device or resource busy.</summary>
    Busy = 10,
    /// <summary>File exists.</summary>
    Exist = 20,
    /// <summary>Bad address.</summary>
    Fault = 21,
    /// <summary>File too large.</summary>
    FBig = 22,
    /// <summary>Invalid argument.</summary>
    Inval = 28,
    /// <summary>I/O error (also: an integrity check of shielded data failed).</summary>
    Io = 29,
    /// <summary>Is a directory.</summary>
    IsDir = 31,
    /// <summary>Too many levels of symbolic links.</summary>
    Loop = 32,
    /// <summary>File descriptor value too large.</summary>
    MFile = 33,
    /// <summary>Filename too long.</summary>
    NameTooLong = 37,
    /// <summary>Too many files open in system.</summary>
    NFile = 41,
    /// <summary>No such file or directory.</summary>
    NoEnt = 44,
    /// <summary>Not enough space.</summary>
    NoMem = 48,
    /// <summary>No space left on device.</summary>
    NoSpc = 51,
    /// <summary>Function not supported.</summary>
    NoSys = 52,
    /// <summary>Not a directory.</summary>
    NotDir = 54,
    /// <summary>Directory not empty.</summary>
    NotEmpty = 55,
    /// <summary>Not supported.</summary>
    NotSup = 58,
    /// <summary>Not a socket.</summary>
    NotSock = 57,
    /// <summary>Value too large to be stored in data type.</summary>
    Overflow = 61,
    /// <summary>Operation not permitted.</summary>
    Perm = 63,
    /// <summary>Broken pipe.</summary>
    Pipe = 64,
    /// <summary>Read-only file system.</summary>
    RoFs = 69,
    /// <summary>Invalid seek.</summary>
    SPipe = 70,
    /// <summary>Cross-device link.</summary>
    XDev = 75,
    /// <summary>Capabilities insufficient.</summary>
    NotCapable = 76,
}
