using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Http;

/// <summary>
/// The logger factory the gateway's web host logs through: the caller's, except that Kestrel's reports of bad
/// requests (a client's malformed, oversized or too slow request: a user error, not a fault) are logged as their one
/// line, without the exception and its stack trace. The caller keeps ownership of the factory it gave.
/// </summary>
internal sealed class GatewayLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>The category Kestrel reports rejected requests under.</summary>
    public const string BadRequestCategory = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == BadRequestCategory ? new WithoutException(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The caller owns the inner factory.
    }

    private sealed class WithoutException(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, null, formatter);
    }
}
