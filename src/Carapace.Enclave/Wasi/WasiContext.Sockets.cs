namespace Carapace.Enclave.Wasi;

// Sockets do not exist for a function: WASI preview 1 can only use inherited socket descriptors, and none is ever
// handed out.
public sealed partial class WasiContext
{
    /// <summary><c>sock_accept</c>, <c>sock_recv</c>, <c>sock_send</c>, <c>sock_shutdown</c>: <see cref="Errno.BadF"/> for a descriptor that is not open, else <see cref="Errno.NotSock"/>.</summary>
    internal Errno Socket(int fd) => Fd(fd) is null ? Errno.BadF : Errno.NotSock;
}
