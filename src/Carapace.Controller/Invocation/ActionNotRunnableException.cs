namespace Carapace.Controller.Invocation;

/// <summary>
/// A stored action cannot be made into a function: its definition breaks a rule the platform enforces (e.g. its
/// environment), typically because it was stored by an older version that did not check it. A user error, not a
/// platform fault: the invocation is recorded as an <c>action developer error</c> with this message (which names the
/// field and says to update the action), and nothing is logged with a stack trace.
/// </summary>
public sealed class ActionNotRunnableException(string message, Exception? innerException = null) : Exception(message, innerException);
