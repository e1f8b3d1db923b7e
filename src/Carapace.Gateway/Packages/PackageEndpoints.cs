using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Packages;
using Carapace.Controller.Registry;
using Carapace.Gateway.Entities;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Packages;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/packages</c>: list, and per package PUT (create, or update with <c>overwrite=true</c>;
/// a <c>binding</c> makes a binding), GET (with its actions; a binding's parameters over its package's) and DELETE
/// (refused with 409 while the package holds actions, unless <c>force=true</c>), over the controller's
/// <see cref="PackageRegistry"/>. Another namespace's packages can be listed and read when it published them; only the
/// owner changes them.
/// </summary>
internal sealed class PackageEndpoints(PackageRegistry packages, ILogger logger)
{
    private const string Collection = "/api/v1/namespaces/{ns}/packages";
    private const string Item = Collection + "/{name}";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(Collection, ListAsync);
        routes.MapGet(Item, GetAsync);
        routes.MapPut(Item, PutAsync);
        routes.MapDelete(Item, DeleteAsync);
    }

    private async Task ListAsync(HttpContext context)
    {
        if (await EntityRoute.ReadableNamespaceAsync(context).ConfigureAwait(false) is not { } scope)
        {
            return;
        }

        if (!QueryArgs.TryPage(context.Request, out var page, out var error)
            || !QueryArgs.TryBool(context.Request, "count", false, out var count, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        // As OpenWhisk: another namespace's list holds what it published.
        if (count)
        {
            await JsonOutput.WriteAsync(context, StatusCodes.Status200OK,
                new JsonObject { ["packages"] = packages.Count(scope.Namespace, page.Skip, publishedOnly: !scope.Own) }).ConfigureAwait(false);
            return;
        }

        var list = packages.List(scope.Namespace, page, publishedOnly: !scope.Own);
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, new JsonArray([.. list.Select(p => (JsonNode)PackageJson.Render(p))]))
            .ConfigureAwait(false);
    }

    private async Task GetAsync(HttpContext context)
    {
        if (await EntityRoute.ReadableNamespaceAsync(context).ConfigureAwait(false) is not { } scope
            || await EntityRoute.NameAsync(context, "package").ConfigureAwait(false) is not { } name)
        {
            return;
        }

        var package = packages.Get(scope.Namespace, name);
        if (package is null || (!scope.Own && !package.Publish))
        {
            // Another namespace's unpublished package is reported like a missing one, so its names cannot be probed.
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        if (packages.Resolve(scope.Namespace, name) is not { } resolved)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound,
                $"The binding /{scope.Namespace}/{name} refers to {package.Binding}, which no longer exists or is no longer published; "
                + "bind to another package (PUT with overwrite=true) or delete the binding.").ConfigureAwait(false);
            return;
        }

        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, PackageJson.WithActions(resolved, packages.ActionsOf(resolved.Package)))
            .ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context)
    {
        if (await EntityRoute.ReadPutAsync(context, "package").ConfigureAwait(false) is not { } put)
        {
            return;
        }

        var target = (put.Namespace, put.Name);
        var overwrite = put.Overwrite;
        using var document = put.Body;

        var errors = new List<string>();
        var root = document.RootElement;
        var definition = new PackageDefinition
        {
            Binding = Binding(root, target.Namespace, errors),
            Annotations = EntityBody.KeyValues(root, "annotations", errors),
            Parameters = EntityBody.KeyValues(root, "parameters", errors),
            Publish = EntityBody.Publish(root, errors),
        };
        if (errors.Count > 0)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, string.Join(" ", errors)).ConfigureAwait(false);
            return;
        }

        var result = packages.Put(target.Namespace, target.Name, definition, overwrite);
        if (result.Package is not { } stored)
        {
            var status = result.Status switch
            {
                PutPackageStatus.Conflict or PutPackageStatus.CannotBecomeBinding => StatusCodes.Status409Conflict,
                PutPackageStatus.NamespaceNotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status400BadRequest,
            };
            await ApiError.WriteAsync(context, status, result.Error ?? "The package was not stored.").ConfigureAwait(false);
            return;
        }

        PackageLog.Stored(logger, stored.ToString(), stored.Version, stored.Binding?.ToString() ?? "none");
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, PackageJson.Render(stored)).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "package").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        if (!QueryArgs.TryBool(context.Request, "force", false, out var force, out var error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        var result = packages.Delete(target.Namespace, target.Name, force);
        switch (result.Status)
        {
            case DeletePackageStatus.NotFound:
                await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
                return;
            case DeletePackageStatus.NotEmpty:
                // OpenWhisk's sentence.
                await ApiError.WriteAsync(context, StatusCodes.Status409Conflict,
                    $"Package not empty (contains {result.Actions} {(result.Actions == 1 ? "entity" : "entities")}). Set force param or delete package contents.")
                    .ConfigureAwait(false);
                return;
            default:
                PackageLog.Deleted(logger, result.Package!.ToString(), result.Actions);
                await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, PackageJson.Render(result.Package!)).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>
    /// <c>binding</c>: absent, null or <c>{}</c> for none, else <c>{"namespace", "name"}</c> (namespace <c>_</c> is the
    /// caller's, and may be left out).
    /// </summary>
    private static PackageReference? Binding(JsonElement root, string caller, List<string> errors)
    {
        if (!root.TryGetProperty("binding", out var binding) || binding.ValueKind == JsonValueKind.Null
            || (binding.ValueKind == JsonValueKind.Object && !binding.EnumerateObject().Any()))
        {
            return null;
        }

        const string Shape = "'binding' must be {} or an object with the 'namespace' and 'name' of the package to bind to.";
        if (binding.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Shape);
            return null;
        }

        var ns = binding.TryGetProperty("namespace", out var nsJson) ? EntityBody.Text(nsJson) : "_";
        var name = binding.TryGetProperty("name", out var nameJson) ? EntityBody.Text(nameJson) : null;
        if (ns is null || name is null)
        {
            errors.Add(Shape);
            return null;
        }

        ns = ns.Trim('/');
        if (ns == "_")
        {
            ns = caller;
        }

        if (!ActionName.IsValidPart(ns) || !ActionName.IsValidPart(name))
        {
            errors.Add($"'binding' names '/{ns}/{name}', which is not a valid package name (/namespace/package).");
            return null;
        }

        return new PackageReference(ns, name);
    }
}
