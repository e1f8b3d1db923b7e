using System.Data.Common;
using System.Security.Cryptography;

namespace Carapace.Controller.Registry;

// What Put checks of the code: modules (sizes, the validator), images, and sequences (syntax, components, cycles).
public sealed partial class ActionRegistry
{
    /// <summary>The code to store for <paramref name="exec"/>, checked as far as it can be without the stored actions; problems go to <paramref name="errors"/>.</summary>
    private ActionCode CheckCode(ActionExec exec, List<string> errors, out byte[]? module, out byte[]? image)
    {
        module = null;
        image = null;
        switch (exec.Kind)
        {
            case ActionKinds.Wasm:
                if (exec.Module.IsEmpty)
                {
                    errors.Add("'exec.code' is empty; it must hold a WebAssembly module.");
                }
                else if (exec.Module.Length > ActionExec.MaxModuleBytes)
                {
                    errors.Add($"'exec.code' is a module of {exec.Module.Length} bytes; the limit is {ActionExec.MaxModuleBytes} bytes.");
                }
                else if (_validator is not null)
                {
                    errors.AddRange(_validator.CheckModule(exec.Module.Span));
                }

                module = exec.Module.ToArray();
                var stored = exec.Image is { } upload ? PrepareImage(upload, errors, out image) : null;
                return new ActionCode(ActionKinds.Wasm, Convert.ToHexStringLower(SHA256.HashData(module)), module.Length, [], stored);

            case { } kind when ActionKinds.IsNodeJs(kind):
                if (exec.Module.IsEmpty)
                {
                    errors.Add("'exec.code' is empty; it must hold the action's JavaScript source.");
                }
                else if (exec.Module.Length > ActionExec.MaxJavaScriptBytes)
                {
                    errors.Add($"'exec.code' is {exec.Module.Length} bytes of JavaScript; the limit is {ActionExec.MaxJavaScriptBytes} bytes.");
                }

                // The gateway checks the name's syntax (the manifest's rule); the registry only that there is one.
                if (string.IsNullOrEmpty(exec.Main))
                {
                    errors.Add("'exec.main' must name the entry function.");
                }

                module = exec.Module.ToArray();
                var storedImage = exec.Image is { } jsUpload ? PrepareImage(jsUpload, errors, out image) : null;
                return new ActionCode(kind, Convert.ToHexStringLower(SHA256.HashData(module)), module.Length, [], storedImage, exec.Main);

            case ActionKinds.Sequence:
                if (exec.Components.Count is 0 or > ActionExec.MaxSequenceComponents)
                {
                    errors.Add($"A sequence has 1 to {ActionExec.MaxSequenceComponents} components; this one has {exec.Components.Count}.");
                }

                var components = new List<ActionName>();
                foreach (var text in exec.Components.Take(ActionExec.MaxSequenceComponents + 1))
                {
                    if (!ActionName.TryParse(text, out var component))
                    {
                        errors.Add($"The component '{text}' is not a fully qualified action name (/namespace/name).");
                    }
                    else
                    {
                        components.Add(component);
                    }
                }

                return new ActionCode(ActionKinds.Sequence, null, 0, components);

            default:
                errors.Add($"The kind '{exec.Kind}' is not supported; use '{ActionKinds.Wasm}', '{ActionKinds.NodeJsDefault}' (or 'nodejs:N') or '{ActionKinds.Sequence}'.");
                return new ActionCode(exec.Kind, null, 0, []);
        }
    }

    /// <summary>
    /// Null when every component exists, none is <paramref name="name"/> itself, and the sequence, expanded as it would
    /// run once stored (this name standing for the new definition), has no cycle through other sequences and flattens to
    /// at most <see cref="ActionExec.MaxSequenceSteps"/> actions within <see cref="ActionExec.MaxSequenceDepth"/>
    /// levels; otherwise why not. The expansion stops at the first limit, so a request cannot make it read more.
    /// </summary>
    private static PutActionResult? CheckComponents(DbConnection connection, ActionName name, ActionCode code)
    {
        foreach (var component in code.Components)
        {
            if (component == name)
            {
                return PutActionResult.Fail(PutActionStatus.Cycle, $"The sequence {name} cannot contain itself.");
            }

            if (ReadForRun(connection, component) is null)
            {
                return PutActionResult.Fail(PutActionStatus.UnknownComponent, $"Sequence component {component} does not exist.");
            }
        }

        var candidate = new ActionRecord
        {
            Name = name, Version = "", Exec = code, Limits = ActionLimits.Default, Annotations = [], Parameters = [],
            Confidential = true, Publish = false, Updated = default,
        };
        var expansion = SequenceExpansion.Expand(candidate, c => c == name ? candidate : ReadForRun(connection, c));
        return expansion.Status switch
        {
            SequenceResolutionStatus.Resolved => null,
            SequenceResolutionStatus.Cycle => PutActionResult.Fail(PutActionStatus.Cycle, expansion.Error!),
            SequenceResolutionStatus.TooLong => PutActionResult.Fail(PutActionStatus.SequenceTooLong, expansion.Error!),
            _ => PutActionResult.Fail(PutActionStatus.UnknownComponent, expansion.Error!),
        };
    }

    private static ActionImage? PrepareImage(ActionImageUpload upload, List<string> errors, out byte[]? image)
    {
        image = null;
        if (upload.Bytes.IsEmpty)
        {
            errors.Add("'exec.image' is empty; it must hold a file-system image made by 'carapace pack'.");
            return null;
        }

        if (upload.Bytes.Length > ActionExec.MaxImageBytes)
        {
            errors.Add($"'exec.image' is {upload.Bytes.Length} bytes; the limit is {ActionExec.MaxImageBytes} bytes.");
            return null;
        }

        if (!IsLowerHex(upload.Id, 32) || !IsLowerHex(upload.Root, 64))
        {
            errors.Add("'exec.image': the image id must be 32 and its root 64 lower-case hex digits.");
            return null;
        }

        image = upload.Bytes.ToArray();
        return new ActionImage(Convert.ToHexStringLower(SHA256.HashData(image)), image.Length, upload.Id, upload.Root);
    }

    private static bool IsLowerHex(string text, int length) =>
        text.Length == length && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
