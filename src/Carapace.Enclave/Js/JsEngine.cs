using System.Security.Cryptography;
using System.Text;
using Acornima;
using Carapace.Enclave.Host;
using Carapace.Functions;
using Carapace.Protocol;
using Jint;

namespace Carapace.Enclave.Js;

/// <summary>
/// Jint for OpenWhisk's <c>nodejs</c> actions. The source (UTF-8, checked against its measured hash) is parsed once
/// per specialisation into a prepared script; every invocation then runs it in a fresh engine (<see cref="JsCode"/>),
/// so nothing one invocation leaves in the realm reaches the next. There is no compiled artifact for the host to cache.
/// </summary>
internal sealed class JsEngine : IFunctionEngine
{
    /// <summary>The warm-up echo function: it logs a line, resolves a Promise and returns its parameters.</summary>
    private static readonly byte[] s_echo = "function main(params) { console.log('warm-up'); return Promise.resolve(params); }\n"u8.ToArray();

    public EnclaveRuntime Runtime => EnclaveRuntime.JavaScript;

    public string SealedCodePath => SealedCode.JavaScriptPathInImage;

    public ReadOnlySpan<byte> WarmupCode => s_echo;

    public (IFunctionCode Code, byte[] NewArtifact) Load(FunctionManifest manifest, SpecializeMessage request, byte[] codeHash)
    {
        if (!request.CachedArtifact.IsEmpty)
        {
            throw new SpecializationException("the JavaScript enclave has no compiled artifacts; send the source", FailureReason.CachedArtifact);
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(request.Module.Span), codeHash))
        {
            throw new SpecializationException("the source does not match the provisioned code hash (the host sent other code)");
        }

        return (Prepare(manifest, request.Module.Span, sealedSource: false), []);
    }

    public IFunctionCode LoadSealed(FunctionManifest manifest, ReadOnlySpan<byte> code) => Prepare(manifest, code, sealedSource: true);

    public void Dispose()
    {
    }

    private static JsCode Prepare(FunctionManifest manifest, ReadOnlySpan<byte> bytes, bool sealedSource)
    {
        var main = manifest.JavaScriptMain ?? throw new SpecializationException("the function's manifest names no JavaScript entry point");
        if (bytes.Length > JavaScriptSettings.MaxSourceBytes)
        {
            throw new SpecializationException($"the JavaScript source is {bytes.Length} bytes; the limit is {JavaScriptSettings.MaxSourceBytes}");
        }

        string source;
        try
        {
            source = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new SpecializationException("the JavaScript source is not valid UTF-8");
        }

        try
        {
            return new JsCode(Engine.PrepareScript(source, "action.js"), main);
        }
        catch (ParseErrorException e)
        {
            // A sealed source's parse error could quote it: only the position leaves the enclave then.
            throw new SpecializationException(sealedSource
                ? $"the sealed JavaScript source does not parse (line {e.LineNumber}, column {e.Column})"
                : "the JavaScript source does not parse: " + e.Message);
        }
    }
}
