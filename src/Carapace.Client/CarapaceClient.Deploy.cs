using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Enclave.Functions;
using Carapace.Kms.Policy;

namespace Carapace.Client;

/// <summary>
/// Deploys, chains and deletes, each all-or-nothing as far as two services allow: the policy is widened before the
/// gateway stores anything and narrowed after, so at every moment the action the gateway has is one the KMS accepts.
/// </summary>
public sealed partial class CarapaceClient
{
    /// <summary>
    /// How long finishing or undoing a deploy may take once its first half is done. The caller's cancellation no
    /// longer applies then: stopping half-way would leave exactly the state the two halves exist to avoid.
    /// </summary>
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Deploys action <paramref name="name"/> (creating it or storing a new version). For a confidential action the
    /// namespace policy then accepts exactly the new measurement for function <paramref name="name"/>, grants it
    /// <see cref="DeployOptions.Secrets"/>, and has the one-step chain <paramref name="name"/>; the policy's other entries
    /// are kept and each change is signed with the profile's owner key (a namespace without a policy gets one with this
    /// owner and client). With <see cref="DeployOptions.Image"/> the measurement covers the image's root, the function is
    /// also granted secret <c>image-key.NAME.IMAGEID</c>, and the image key is stored as that secret in the KMS
    /// (owner-signed, over the KMS's attested TLS; the gateway never sees it).
    /// </summary>
    /// <remarks>
    /// A confidential deploy is all-or-nothing: the measurement is computed here for exactly what is sent (limits and
    /// environment included), the policy first accepts it next to the previous one (expand), the image key is stored,
    /// the gateway stores the action, and the policy then accepts only the new measurement (contract). If the image key
    /// or the upload fails, the expansion is undone and the error is rethrown: the previous action (or none) is in place
    /// and the policy is as it was. Only when a second step fails too does a <see cref="DeployException"/> say what is
    /// left (<see cref="DeployException.State"/>) and how to finish. When another deploy of the same name stores its
    /// action after this one, this deploy leaves narrowing the policy to that one.
    /// </remarks>
    /// <exception cref="ArgumentException">The options are invalid; every problem is listed. Nothing was changed.</exception>
    /// <exception cref="GatewayException">The gateway refused the action. Nothing was changed.</exception>
    /// <exception cref="CarapaceClientException">No owner key, another owner's namespace, or the runtime files to measure with are missing. Nothing was changed.</exception>
    /// <exception cref="DeployException">The deploy failed half-way and could not undo or finish it.</exception>
    public async Task<DeployResult> DeployAsync(string name, ReadOnlyMemory<byte> module, DeployOptions? options = null,
        IProgress<DeployProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new DeployOptions();
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"cannot deploy '{name}': " + string.Join("; ", problems), nameof(options));
        }

        ImageReference? image = null;
        var secrets = options.Secrets;
        if (options.Image is { } imageBytes)
        {
            image = ActionMeasurement.ImageReferenceOf(imageBytes);
            var imageKeySecret = ActionManifest.ImageKeySecretOf(name, image);
            if (!PolicyNames.IsValid(imageKeySecret))
            {
                throw new ArgumentException($"cannot deploy '{name}' with an image: its key's secret name '{imageKeySecret}' {PolicyNames.Rule}", nameof(name));
            }

            secrets = [.. secrets.Append(imageKeySecret).Distinct(StringComparer.Ordinal)];
        }

        var upload = new PutActionOptions
        {
            // Explicit limits and environment (an empty one too), so the gateway stores exactly what is measured here.
            MemoryMiB = options.MemoryMiB,
            TimeoutMs = options.TimeoutMs,
            Annotations = EnvironmentAnnotations(options.Env),
            Confidential = options.Confidential,
            Image = options.Image,
            Overwrite = true,
            UploadProgress = progress is null ? null : new InlineProgress<UploadProgress>(u => progress.Report(new DeployProgress(DeployStage.Uploading, u.Sent, u.Total))),
        };
        if (!options.Confidential)
        {
            progress?.Report(new DeployProgress(DeployStage.Uploading));
            var plain = await Gateway.PutActionAsync(name, module, upload, cancellationToken).ConfigureAwait(false);
            progress?.Report(new DeployProgress(DeployStage.Done));
            return new DeployResult(plain, null, null);
        }

        progress?.Report(new DeployProgress(DeployStage.Measuring));
        var measurement = Convert.ToHexStringLower(ActionMeasurement.Compute(RuntimeIdentityBytes(), name, module.Span, options.MemoryMiB,
            options.TimeoutMs, options.Env, image));
        var before = await FindActionAsync(name, cancellationToken).ConfigureAwait(false);

        progress?.Report(new DeployProgress(DeployStage.UpdatingPolicy));
        Expansion? expansion = null;
        await UpdatePolicyAsync(p =>
        {
            var expanded = PolicyEdits.Expand(p, name, measurement, secrets, out var added);
            expansion = added;
            return expanded;
        }, cancellationToken).ConfigureAwait(false);

        GatewayAction stored;
        var uploading = false;
        try
        {
            if (options.ImageKey is { } imageKey)
            {
                // Declared and granted by the expansion just stored; the value goes to the KMS only.
                progress?.Report(new DeployProgress(DeployStage.StoringImageKey));
                await PutSecretAsync(ActionManifest.ImageKeySecretOf(name, image!), imageKey, cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new DeployProgress(DeployStage.Uploading));
            uploading = true;
            stored = await Gateway.PutActionAsync(name, module, upload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Stored after all (the answer was lost), or else the expansion is undone and the failure rethrown.
            var recovered = await RecoverUploadAsync(name, measurement, before, expansion!, uploading, e).ConfigureAwait(false);
            if (recovered is null)
            {
                throw;
            }

            stored = recovered;
        }

        if (MeasureStored(stored, module) != measurement)
        {
            throw new DeployException(DeployFailureState.StoredDifferently,
                $"the gateway stored action '{name}' {stored.Version} with other limits or environment than were sent ({stored.MemoryMiB} MiB, "
                + $"{stored.TimeoutMs} ms, environment {EnvironmentText(stored)}), so the KMS will not release its keys; the policy accepts the "
                + $"measurement of the previous version and the one sent ({measurement}). Deploy again; if this repeats, the gateway at "
                + $"{Gateway.Endpoint} is not of this carapace build", action: stored, measurement: measurement);
        }

        progress?.Report(new DeployProgress(DeployStage.Finishing));
        ulong version;
        using (var cleanup = new CancellationTokenSource(CleanupTimeout))
        {
            try
            {
                // Narrowed only while the gateway still has this deploy's version: a later deploy of the same name narrows to its own.
                version = await UpdatePolicyAsync(async (p, t) => await IsStillStoredAsync(stored, t).ConfigureAwait(false)
                    ? PolicyEdits.Contract(p, name, measurement, secrets) : null, cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw new DeployException(DeployFailureState.DeployedPolicyNotFinished,
                    $"action '{name}' {stored.Version} is deployed and runs, but narrowing the namespace policy to its measurement failed "
                    + $"({Reason(e)}): the policy still accepts the measurement of the version it replaced, and any secret only that version was "
                    + $"granted. Run the same deploy again to finish, or remove them with 'carapace policy get' and 'carapace policy set'",
                    e, action: stored, measurement: measurement);
            }
        }

        progress?.Report(new DeployProgress(DeployStage.Done));
        return new DeployResult(stored, measurement, version);
    }

    /// <summary>
    /// Creates (or replaces) chain <paramref name="name"/>: a sequence action of the deployed confidential actions
    /// <paramref name="steps"/>, and the policy chain of those functions, whose edge keys the KMS derives. The policy
    /// chain is stored first; if the gateway then refuses the sequence, the policy chain is put back as it was.
    /// </summary>
    /// <remarks>
    /// A chain is one entry per name, so replacing a chain with other steps cannot keep both: between the two steps
    /// (moments) the previous sequence fails to get its keys, which is refused cleanly, never run with the wrong keys.
    /// </remarks>
    /// <exception cref="ArgumentException">No steps, or an empty step name.</exception>
    /// <exception cref="CarapaceClientException">A step is not a function of the policy, or <paramref name="name"/> is an action that is not a sequence.</exception>
    /// <exception cref="GatewayException">The gateway refused the sequence. Nothing was changed.</exception>
    /// <exception cref="DeployException">The gateway refused the sequence and the policy chain could not be put back.</exception>
    public async Task<DeployResult> CreateChainAsync(string name, IReadOnlyList<string> steps, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0 || steps.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"chain '{name}' needs at least one step, each the name of a deployed action", nameof(steps));
        }

        if (await FindActionAsync(name, cancellationToken).ConfigureAwait(false) is { Kind: not "sequence" } existing)
        {
            throw new CarapaceClientException($"'{name}' is already an action ({existing.Kind}); a chain needs a name of its own");
        }

        var ns = await GetNamespaceAsync(cancellationToken).ConfigureAwait(false);
        PolicyChain? chainBefore = null;
        var version = await UpdatePolicyAsync(policy =>
        {
            var unknown = steps.Where(s => policy.FindFunction(s) is null).Distinct(StringComparer.Ordinal).ToList();
            chainBefore = policy.FindChain(name);
            return unknown.Count == 0 ? PolicyEdits.WithChain(policy, name, steps)
                : throw new CarapaceClientException($"chain '{name}' names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which "
                    + $"{(unknown.Count == 1 ? "is" : "are")} not a confidential function of namespace '{ns}'; deploy {(unknown.Count == 1 ? "it" : "them")} first with 'carapace deploy'");
        }, cancellationToken).ConfigureAwait(false);

        string[] components = [.. steps.Select(s => $"/{ns}/{s}")];
        try
        {
            var action = await Gateway.PutSequenceAsync(name, components, overwrite: true, cancellationToken).ConfigureAwait(false);
            return new DeployResult(action, null, version);
        }
        catch (Exception e)
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            if (MayHaveArrived(e))
            {
                GatewayAction? now;
                try
                {
                    now = await FindActionAsync(name, cleanup.Token).ConfigureAwait(false);
                }
                catch (Exception probe)
                {
                    throw new DeployException(DeployFailureState.Unknown,
                        $"the gateway's answer to storing sequence '{name}' was lost ({Reason(e)}), and asking again failed ({Reason(probe)}): the "
                        + $"policy already has chain '{name}' as {string.Join(" → ", steps)}. Run the same 'carapace chain create' again", e, probe);
                }

                if (now is { Kind: "sequence" } && now.Components.SequenceEqual(components, StringComparer.Ordinal))
                {
                    return new DeployResult(now, null, version);
                }
            }

            try
            {
                await UpdatePolicyAsync(p => PolicyEdits.RestoreChain(p, name, steps, chainBefore), cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception undo)
            {
                throw new DeployException(DeployFailureState.NotDeployedPolicyChanged,
                    $"storing sequence '{name}' failed ({Reason(e)}), and putting the policy's chain '{name}' back failed too ({Reason(undo)}): the "
                    + $"policy has chain '{name}' as {string.Join(" → ", steps)}, the gateway {(chainBefore is null ? "has no such sequence" : "the previous one")}. "
                    + $"Run the same 'carapace chain create' again, or {(chainBefore is null ? "remove the chain" : "restore it")} with 'carapace policy set'",
                    e, undo);
            }

            throw;
        }
    }

    /// <summary>
    /// Deletes action (or chain) <paramref name="name"/> and, when the profile has the owner key, removes its chain
    /// from the policy, and its function unless another chain still uses it, so no enclave gets its keys any more. The
    /// policy goes first (revoking before deleting); if the gateway then fails to delete, the policy entries are put back.
    /// </summary>
    /// <exception cref="GatewayException">It does not exist (404), or another failure. Nothing was changed.</exception>
    /// <exception cref="DeployException">The gateway failed to delete it and the policy entries could not be put back.</exception>
    public async Task<DeployResult> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        var action = await Gateway.GetActionAsync(name, withCode: false, cancellationToken).ConfigureAwait(false);
        if (!action.Confidential || _profile.OwnerKeyPath is null)
        {
            return new DeployResult(await Gateway.DeleteActionAsync(name, cancellationToken).ConfigureAwait(false), null, null);
        }

        var kms = await GetKmsAsync(cancellationToken).ConfigureAwait(false);
        var current = await kms.GetPolicyAsync(await GetNamespaceAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var policy = current is null ? null : KmsPolicy.Parse(current.PolicyText);
        if (policy is null || (policy.FindChain(name) is null && policy.FindFunction(name) is null))
        {
            return new DeployResult(await Gateway.DeleteActionAsync(name, cancellationToken).ConfigureAwait(false), null, null);
        }

        PolicyFunction? removedFunction = null;
        PolicyChain? removedChain = null;
        var version = await UpdatePolicyAsync(p =>
        {
            var without = PolicyEdits.Without(p, name);
            removedFunction = without.FindFunction(name) is null ? p.FindFunction(name) : null;
            removedChain = p.FindChain(name);
            return without;
        }, cancellationToken).ConfigureAwait(false);

        try
        {
            return new DeployResult(await Gateway.DeleteActionAsync(name, cancellationToken).ConfigureAwait(false), null, version);
        }
        catch (GatewayException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted meanwhile by someone else: what was asked for holds.
            return new DeployResult(action, null, version);
        }
        catch (Exception e)
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            if (MayHaveArrived(e))
            {
                try
                {
                    if (await FindActionAsync(name, cleanup.Token).ConfigureAwait(false) is null)
                    {
                        return new DeployResult(action, null, version);
                    }
                }
                catch (GatewayException)
                {
                    // Unknown: put the policy back, which is right if it is still there and harmless (no code to run) if not.
                }
            }

            try
            {
                await UpdatePolicyAsync(p => PolicyEdits.Restore(p, removedFunction, removedChain), cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception undo)
            {
                throw new DeployException(DeployFailureState.DeleteIncomplete,
                    $"deleting '{name}' at the gateway failed ({Reason(e)}), after the policy stopped accepting it, and putting the policy entries "
                    + $"back failed too ({Reason(undo)}): the gateway still has '{name}' but no enclave gets its keys. Run 'carapace actions delete {name}' "
                    + "again, or deploy it again", e, undo, action);
            }

            throw;
        }
    }

    /// <summary>
    /// After the image key or the upload failed: finds out whether the gateway stored the action anyway (only when the
    /// upload may have arrived) and returns it if so; otherwise undoes the expansion and returns null (the caller
    /// rethrows <paramref name="failure"/>: nothing was changed).
    /// </summary>
    /// <exception cref="DeployException">Whether it was stored cannot be told, or the expansion could not be undone.</exception>
    private async Task<GatewayAction?> RecoverUploadAsync(string name, string measurement, GatewayAction? before,
        Expansion expansion, bool uploading, Exception failure)
    {
        using var cleanup = new CancellationTokenSource(CleanupTimeout);
        if (uploading && MayHaveArrived(failure))
        {
            GatewayAction? now;
            try
            {
                now = await FindActionAsync(name, cleanup.Token).ConfigureAwait(false);
                if (now is not null && !SameRevision(now, before))
                {
                    // Something was stored: this deploy's upload, or another deploy's. Only the content tells.
                    now = await Gateway.GetActionAsync(name, withCode: true, cleanup.Token).ConfigureAwait(false);
                    if (MeasureStored(now, now.Code ?? ReadOnlyMemory<byte>.Empty) == measurement)
                    {
                        return now;
                    }
                }
            }
            catch (Exception probe) when (probe is GatewayException or OperationCanceledException)
            {
                throw new DeployException(DeployFailureState.Unknown,
                    $"the gateway's answer to storing action '{name}' was lost ({Reason(failure)}), and asking again failed ({Reason(probe)}): it "
                    + $"may or may not have stored the new version. The policy accepts both the previous measurement and the new one ({measurement}), "
                    + "so whichever is stored runs. Run the same deploy again to finish", failure, probe, measurement: measurement);
            }
        }

        try
        {
            await UpdatePolicyAsync(p => PolicyEdits.Rollback(p, name, measurement, expansion), cleanup.Token).ConfigureAwait(false);
        }
        catch (Exception undo)
        {
            var left = before is null ? $"there is no action '{name}'" : $"action '{name}' {before.Version} is in place and runs as before";
            throw new DeployException(DeployFailureState.NotDeployedPolicyChanged,
                $"deploying '{name}' failed ({Reason(failure)}), and undoing its policy change failed too ({Reason(undo)}): {left}, but the policy "
                + $"also accepts the measurement that was not deployed ({measurement}){(expansion.GrantsAdded.Count > 0 ? " and grants it " + string.Join(", ", expansion.GrantsAdded) : "")}. "
                + $"Run the deploy again, or remove it with 'carapace policy get' and 'carapace policy set'", failure, undo, measurement: measurement);
        }

        return null;
    }

    /// <summary>Action <paramref name="name"/> without its code, or null when the gateway has none.</summary>
    private async Task<GatewayAction?> FindActionAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Gateway.GetActionAsync(name, withCode: false, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Whether the gateway still has the revision <paramref name="stored"/> of its action (no later update or delete).</summary>
    private async Task<bool> IsStillStoredAsync(GatewayAction stored, CancellationToken cancellationToken) =>
        SameRevision(await FindActionAsync(stored.Name, cancellationToken).ConfigureAwait(false), stored);

    private static bool SameRevision(GatewayAction? a, GatewayAction? b) =>
        a is null ? b is null : b is not null && a.Version == b.Version && a.Updated == b.Updated;

    /// <summary>
    /// Whether a failed request may still have been carried out: no answer came (timeout, lost connection, cancelled),
    /// or one that could not be read. A refusal, a refused connection and an untrusted gateway are certain failures.
    /// </summary>
    private static bool MayHaveArrived(Exception e) => e switch
    {
        GatewayException { Failure: GatewayFailure.Rejected or GatewayFailure.Untrusted } => false,
        GatewayException { Failure: GatewayFailure.Unreachable } g => !ConnectionRefused(g),
        _ => true,
    };

    private static bool ConnectionRefused(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The measurement of the action as the gateway stored it (its limits, environment and image), or null when unreadable.</summary>
    private string? MeasureStored(GatewayAction action, ReadOnlyMemory<byte> module)
    {
        try
        {
            ImageReference? image = null;
            if (action.Json.ValueKind == JsonValueKind.Object && action.Json.TryGetProperty("exec", out var exec) && exec.ValueKind == JsonValueKind.Object
                && exec.TryGetProperty("image", out var stored) && stored.ValueKind == JsonValueKind.Object)
            {
                image = new ImageReference(Convert.FromHexString(stored.GetProperty("id").GetString() ?? ""),
                    Convert.FromHexString(stored.GetProperty("root").GetString() ?? ""));
            }

            return Convert.ToHexStringLower(ActionMeasurement.Compute(RuntimeIdentityBytes(), action.Name, module.Span, action.MemoryMiB, action.TimeoutMs,
                ActionMeasurement.EnvironmentOf(action.Annotations), image));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static Dictionary<string, JsonNode?> EnvironmentAnnotations(IReadOnlyDictionary<string, string> env)
    {
        var annotations = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (env.Count > 0)
        {
            var json = new JsonObject();
            foreach (var (key, value) in env.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                json[key] = value;
            }

            annotations[ActionManifest.EnvironmentAnnotation] = json;
        }

        return annotations;
    }

    private static string EnvironmentText(GatewayAction action)
    {
        try
        {
            var env = ActionMeasurement.EnvironmentOf(action.Annotations);
            return env.Count == 0 ? "empty" : string.Join(", ", env.Select(e => e.Key));
        }
        catch (FormatException)
        {
            return "unreadable";
        }
    }

    /// <summary>An error's message as a clause (the client's messages never carry keys, secrets or payloads).</summary>
    private static string Reason(Exception e) => e switch
    {
        OperationCanceledException => "cancelled or timed out",
        PolicyException p => p.Message.Split('\n')[0].TrimEnd(':', '.') + (p.Errors.Count > 0 ? ": " + string.Join("; ", p.Errors) : ""),
        _ => e.Message.TrimEnd('.'),
    };
}
