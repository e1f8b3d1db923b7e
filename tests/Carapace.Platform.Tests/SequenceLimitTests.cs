using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Carapace.Controller;

namespace Carapace.Platform.Tests;

/// <summary>
/// A sequence whose components grew after it was stored, so that it now flattens to more than 50 actions, is refused
/// when invoked: a 400 naming the limit, with nothing recorded or run.
/// </summary>
public sealed class SequenceLimitTests
{
    [Fact]
    public async Task A_sequence_grown_past_fifty_actions_through_its_components_is_a_400_and_runs_nothing()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("hello", "hello", confidential: false);
        await platform.ChainAsync("half", confidential: false, [.. Enumerable.Repeat("hello", 25)]);
        await platform.ChainAsync("whole", confidential: false, "half", "half");

        // Within the limit on its own, so stored; the sequence around it now names 52 steps.
        await platform.ChainAsync("half", confidential: false, [.. Enumerable.Repeat("hello", 26)]);
        using var response = await platform.Client().PostAsync("api/v1/namespaces/_/actions/whole?blocking=true", JsonContent.Create(new JsonObject()));

        var (error, _) = await FailureTests.OpenWhiskErrorAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("/guest/whole expands to more than 50 actions", error, StringComparison.Ordinal);
        Assert.Empty(platform.Host.Activations.List(PlatformFixture.Namespace, null, PageRequest.Default));
    }
}
