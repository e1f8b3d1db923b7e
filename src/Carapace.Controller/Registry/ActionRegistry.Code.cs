using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Registry;

/// <summary>Checking the code of an action being stored: a module and its image, or a sequence's components.</summary>
public sealed partial class ActionRegistry
{
    private static PutActionResult? PrepareCode(SqliteConnection connection, ActionName name, ActionExec exec, List<string> errors,
        out ActionCode code, out byte[]? module, out byte[]? image)
    {
        code = null!;
        module = null;
        image = null;
        switch (exec.Kind)
        {
            case ActionKinds.Wasm:
                if (exec.Module.IsEmpty)
                {
                    errors.Add("The module is empty; 'exec.code' must hold a WebAssembly module.");
                }
                else if (exec.Module.Length > ActionExec.MaxModuleBytes)
                {
                    errors.Add($"The module is {exec.Module.Length} bytes; the limit is {ActionExec.MaxModuleBytes} bytes.");
                }

                module = exec.Module.ToArray();
                ActionImage? stored = null;
                if (exec.Image is { } upload)
                {
                    stored = PrepareImage(upload, errors, out image);
                }

                code = new ActionCode(ActionKinds.Wasm, Convert.ToHexStringLower(SHA256.HashData(module)), module.Length, [], stored);
                return null;

            case ActionKinds.Sequence:
                if (exec.Components.Count is 0 or > ActionExec.MaxSequenceComponents)
                {
                    errors.Add($"A sequence has 1 to {ActionExec.MaxSequenceComponents} components; this one has {exec.Components.Count}.");
                }

                var components = new List<ActionName>();
                foreach (var text in exec.Components)
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

                code = new ActionCode(ActionKinds.Sequence, null, 0, components);
                if (errors.Count > 0)
                {
                    return null;
                }

                foreach (var component in components)
                {
                    if (component == name)
                    {
                        return PutActionResult.Fail(PutActionStatus.Cycle, $"The sequence {name} cannot contain itself.");
                    }

                    if (Read(connection, component) is null)
                    {
                        return PutActionResult.Fail(PutActionStatus.UnknownComponent, $"Sequence component {component} does not exist.");
                    }
                }

                // Expanded as it would run once stored (this name standing for the new definition), so that a cycle
                // through other sequences and a sequence that flattens to too many actions are refused now.
                var candidate = new ActionRecord
                {
                    Name = name, Version = "", Exec = code, Limits = ActionLimits.Default, Annotations = [], Parameters = [],
                    Confidential = true, Publish = false, Updated = default,
                };
                var expansion = SequenceExpansion.Expand(candidate, c => c == name ? candidate : Read(connection, c));
                return expansion.Status switch
                {
                    SequenceResolutionStatus.Resolved => null,
                    SequenceResolutionStatus.Cycle => PutActionResult.Fail(PutActionStatus.Cycle, expansion.Error!),
                    SequenceResolutionStatus.TooLong => PutActionResult.Fail(PutActionStatus.SequenceTooLong, expansion.Error!),
                    _ => PutActionResult.Fail(PutActionStatus.UnknownComponent, expansion.Error!),
                };

            default:
                code = new ActionCode(exec.Kind, null, 0, []);
                errors.Add($"The kind '{exec.Kind}' is not supported; use '{ActionKinds.Wasm}' or '{ActionKinds.Sequence}'.");
                return null;
        }
    }

    private static ActionImage? PrepareImage(ActionImageUpload upload, List<string> errors, out byte[]? image)
    {
        image = null;
        if (upload.Bytes.IsEmpty)
        {
            errors.Add("The image is empty; 'exec.image' must hold a file-system image made by 'carapace pack'.");
            return null;
        }

        if (upload.Bytes.Length > ActionExec.MaxImageBytes)
        {
            errors.Add($"The image is {upload.Bytes.Length} bytes; the limit is {ActionExec.MaxImageBytes} bytes.");
            return null;
        }

        if (!IsLowerHex(upload.Id, 32) || !IsLowerHex(upload.Root, 64))
        {
            errors.Add("The image id must be 32 and its root 64 lower-case hex digits.");
            return null;
        }

        image = upload.Bytes.ToArray();
        return new ActionImage(Convert.ToHexStringLower(SHA256.HashData(image)), image.Length, upload.Id, upload.Root);
    }

    private static bool IsLowerHex(string text, int length) =>
        text.Length == length && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
