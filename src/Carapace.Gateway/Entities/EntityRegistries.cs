using Carapace.Controller.Activations;
using Carapace.Controller.Packages;
using Carapace.Controller.Registry;
using Carapace.Controller.Triggers;
using Carapace.Gateway.Packages;
using Carapace.Gateway.Triggers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Entities;

/// <summary>
/// The controller's registries of packages, triggers and rules, opened on the controller database beside the actions,
/// and the routes that serve them (<see cref="PackageEndpoints"/>, <see cref="TriggerEndpoints"/>, <see cref="RuleEndpoints"/>).
/// </summary>
internal sealed class EntityRegistries : IDisposable
{
    public EntityRegistries(string database, TimeProvider time)
        : this(() => new PackageRegistry(database, time), () => new TriggerRegistry(database, time))
    {
    }

    /// <summary>The registries on a shared database (cluster mode), which they leave open.</summary>
    public EntityRegistries(Controller.Storage.StoreDatabase database, TimeProvider time)
        : this(() => new PackageRegistry(database, time), () => new TriggerRegistry(database, time))
    {
    }

    private EntityRegistries(Func<PackageRegistry> packages, Func<TriggerRegistry> triggers)
    {
        Packages = packages();
        try
        {
            Triggers = triggers();
        }
        catch
        {
            Packages.Dispose();
            throw;
        }
    }

    public PackageRegistry Packages { get; }

    public TriggerRegistry Triggers { get; }

    public void Map(IEndpointRouteBuilder routes, ActionRegistry actions, ActivationStore activations, GatewayOptions options, ILogger logger)
    {
        new PackageEndpoints(Packages, logger).Map(routes);
        var firing = new TriggerFiring(Triggers, activations, options.Invocations, options.Plaintext, options.MaxInvocationBytes, options.TimeProvider, logger);
        new TriggerEndpoints(Triggers, firing, logger).Map(routes);
        new RuleEndpoints(Triggers, actions, logger).Map(routes);
    }

    public void Dispose()
    {
        Triggers.Dispose();
        Packages.Dispose();
    }
}
