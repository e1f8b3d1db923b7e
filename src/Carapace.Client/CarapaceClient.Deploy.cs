using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Functions;
using Carapace.Functions.Modules;
using Carapace.Kms.Client.Policy;
using static Carapace.Client.Deployment.DeployFailures;

namespace Carapace.Client;

/// <summary>
/// Deploys of actions, all-or-nothing as far as two services allow: the policy is widened before the gateway stores
/// anything and narrowed after, so at every moment the action the gateway has is one the KMS accepts.
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
    /// (owner-signed and sealed to the KMS's attested key; the gateway never sees it). Where the namespace's policy needs
    /// more than one owner's approval, the owners store the key together first (<c>carapace secret put … --image-key</c>,
    /// <c>secret approve</c>, <c>secret submit</c>) and the deploy uses it.
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
    /// <exception cref="ArgumentException">
    /// The options are invalid, or <paramref name="module"/> is not a WASI preview 1 command module Carapace can run
    /// (see <see cref="CommandModule"/>), or for a JavaScript kind (<see cref="DeployOptions.Kind"/>) not UTF-8 source
    /// of a size the platform takes; every problem is listed. Nothing was changed.
    /// </exception>
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

        // Checked here, before anything is uploaded or the policy changed, by the rules the gateway applies.
        var javaScript = options.IsJavaScript;
        if (javaScript)
        {
            CheckJavaScript(name, module.Span);
        }
        else
        {
            var validation = CommandModule.Validate(module.Span);
            if (!validation.IsValid)
            {
                throw new ArgumentException(validation.Describe($"The module of '{name}'"), nameof(module));
            }
        }

        // Sealed code: the code stays on this machine and in the image; the gateway gets the public stub and its hash.
        byte[]? sealedCode = null;
        if (options.SealedCode)
        {
            sealedCode = SHA256.HashData(module.Span);
            module = javaScript ? SealedCode.JavaScriptStub.ToArray() : SealedCode.PublicStub.ToArray();
        }

        var main = javaScript ? options.Main ?? JavaScriptKind.DefaultMain : null;

        ImageReference? image = null;
        var secrets = options.Secrets;
        if (options.Image is { } imageBytes)
        {
            image = ActionMeasurement.ImageReferenceOf(imageBytes) with { MountPath = options.ImageMount ?? ImageReference.DefaultMountPath };
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
            Annotations = EnvironmentAnnotations(options.Env, options.ImageMount, sealedCode),
            Confidential = options.Confidential,
            Image = options.Image,
            Kind = javaScript ? options.Kind : null,
            Main = main,
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
        var measurement = Convert.ToHexStringLower(ActionMeasurement.Compute(RuntimeIdentityBytes(javaScript), name, module.Span, options.MemoryMiB,
            options.TimeoutMs, options.Env, image, sealedCode, main));
        var before = await FindActionAsync(name, cancellationToken).ConfigureAwait(false);

        progress?.Report(new DeployProgress(DeployStage.UpdatingPolicy));
        Expansion? expansion = null;
        await UpdatePolicyAsync(p =>
        {
            var expanded = PolicyEdits.Expand(p, name, measurement, secrets, out var added, Tee.Kind);
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
                await StoreImageKeyAsync(ActionManifest.ImageKeySecretOf(name, image!), imageKey, cancellationToken).ConfigureAwait(false);
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
                    ? PolicyEdits.Contract(p, name, measurement, secrets, Tee.Kind) : null, cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw new DeployException(DeployFailureState.DeployedPolicyNotFinished,
                    $"action '{name}' {stored.Version} is deployed and runs, but narrowing the namespace policy to its measurement failed "
                    + $"({Reason(e)}): the policy still accepts the measurement of the version it replaced, and any secret only that version was "
                    + $"granted. Run the same deploy again to finish, or remove them with 'carapace policy show', an edit and 'carapace policy set' (with a higher version)",
                    e, action: stored, measurement: measurement);
            }
        }

        progress?.Report(new DeployProgress(DeployStage.Done));
        return new DeployResult(stored, measurement, version);
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
            await UpdatePolicyAsync(p => PolicyEdits.Rollback(p, name, measurement, expansion, Tee.Kind), cleanup.Token).ConfigureAwait(false);
        }
        catch (Exception undo)
        {
            var left = before is null ? $"there is no action '{name}'" : $"action '{name}' {before.Version} is in place and runs as before";
            throw new DeployException(DeployFailureState.NotDeployedPolicyChanged,
                $"deploying '{name}' failed ({Reason(failure)}), and undoing its policy change failed too ({Reason(undo)}): {left}, but the policy "
                + $"also accepts the measurement that was not deployed ({measurement}){(expansion.GrantsAdded.Count > 0 ? " and grants it " + string.Join(", ", expansion.GrantsAdded) : "")}. "
                + $"Run the deploy again, or remove it with 'carapace policy show', an edit and 'carapace policy set' (with a higher version)", failure, undo, measurement: measurement);
        }

        return null;
    }

    /// <summary>Whether the gateway still has the revision <paramref name="stored"/> of its action (no later update or delete).</summary>
    private async Task<bool> IsStillStoredAsync(GatewayAction stored, CancellationToken cancellationToken) =>
        SameRevision(await FindActionAsync(stored.Name, cancellationToken).ConfigureAwait(false), stored);

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
                    Convert.FromHexString(stored.GetProperty("root").GetString() ?? ""), ActionMeasurement.MountOf(action.Annotations));
            }

            return Convert.ToHexStringLower(ActionMeasurement.Compute(RuntimeIdentityBytes(action.IsJavaScript), action.Name, module.Span, action.MemoryMiB,
                action.TimeoutMs, ActionMeasurement.EnvironmentOf(action.Annotations), image, ActionMeasurement.SealedCodeOf(action.Annotations),
                action.IsJavaScript ? action.Main ?? JavaScriptKind.DefaultMain : null));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The checks the gateway and the JavaScript enclave apply to a source before it runs: UTF-8 text of a bounded size.</summary>
    private static void CheckJavaScript(string name, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty || source.Length > JavaScriptSettings.MaxSourceBytes)
        {
            throw new ArgumentException($"The JavaScript source of '{name}' is {source.Length} bytes; it must hold 1 to {JavaScriptSettings.MaxSourceBytes} bytes.", nameof(source));
        }

        try
        {
            JavaScriptKind.Source(source);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The JavaScript source of '{name}' cannot be sent: {e.Message}.", nameof(source), e);
        }
    }

    private static Dictionary<string, JsonNode?> EnvironmentAnnotations(IReadOnlyDictionary<string, string> env, string? mount, byte[]? sealedCode)
    {
        var annotations = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (sealedCode is not null)
        {
            annotations[SealedCode.Annotation] = JsonValue.Create(Convert.ToHexStringLower(sealedCode));
        }

        if (mount is not null && mount != ImageReference.DefaultMountPath)
        {
            annotations[ActionMount.Annotation] = JsonValue.Create(mount);
        }

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
}
