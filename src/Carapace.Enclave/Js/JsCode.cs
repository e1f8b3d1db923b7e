using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Acornima.Ast;
using Carapace.Enclave.Host;
using Carapace.Functions;
using Carapace.Protocol;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace Carapace.Enclave.Js;

/// <summary>
/// A parsed JavaScript action. Every run gets a fresh engine (realm): the prelude's globals (<see cref="JsPrelude"/>),
/// the action's top-level code, then its main called with the parameters (the input as JSON), then — while main's
/// Promise is pending — its timers, until the result settles or a limit ends the run (<see cref="JsLimits"/>). The
/// result is its JSON (the output); console lines are the log. CLR interop is off: the script reaches nothing of the
/// host but the prelude's four native functions. After the run the engine is dropped and the heap collected, so the
/// next run starts from nothing and the memory limit is measured from the enclave's own baseline.
/// </summary>
internal sealed class JsCode(Prepared<Script> script, string main) : IFunctionCode
{
    private static long s_baseline = GC.GetTotalMemory(forceFullCollection: true);

    /// <summary>
    /// Looks the entry point up as the script itself would, so a <c>const</c> or <c>let</c> function counts as well as a
    /// <c>function</c> declaration (the name is a plain identifier: the manifest checks it).
    /// </summary>
    private readonly Prepared<Script> _lookup = Engine.PrepareScript($"typeof {main} === 'function' ? {main} : undefined", "carapace-main.js");

    public void Dispose()
    {
    }

    public IFunctionRun Run(FunctionInvocation invocation)
    {
        var manifest = invocation.Manifest;
        var run = new JsRun(manifest);
        var limits = new JsLimits(manifest, s_baseline);
        var watch = Stopwatch.StartNew();
        try
        {
            using var engine = new Engine(options =>
            {
                options.Strict = false;
                options.Interop.Enabled = false;
                options.TimeSystem = new EnclaveClock(manifest);
                options.Constraints.Constraints.Add(limits);
                options.Constraints.StackOverflowGuard = true;
                options.Constraints.MaxArraySize = JavaScriptSettings.MaxArrayElements;
                options.Constraints.RegexTimeout = JavaScriptSettings.RegexTimeout;
                options.LimitRecursion(JavaScriptSettings.MaxRecursionDepth);
            });
            Execute(engine, invocation, run, limits);
            run.InstantiateMicros = limits.InstantiateMicros;
        }
        catch (JsStop stop)
        {
            run.Stop(stop.Status, StopMessage(stop.Status, manifest));
        }
        catch (OutOfMemoryException)
        {
            run.Stop(InvocationStatus.MemoryLimit, StopMessage(InvocationStatus.MemoryLimit, manifest));
        }
        catch (RecursionDepthOverflowException)
        {
            run.Finish(failed: true, "{\"error\":\"RangeError: Maximum call stack size exceeded\"}");
        }
        catch (JintException e)
        {
            // An engine failure that is not the script's own error: its kind only (a message could quote data).
            run.Stop(InvocationStatus.Trap, "JavaScript engine error: " + e.GetType().Name);
        }
        finally
        {
            run.FuelUsed = limits.Statements;
            run.MemoryBytes = limits.PeakBytes;
            // The run's objects are unreachable now: collect them, and measure the next run from what stays.
            GC.Collect();
            s_baseline = GC.GetTotalMemory(forceFullCollection: false);
        }

        _ = watch;
        return run;
    }

    private void Execute(Engine engine, FunctionInvocation invocation, JsRun run, JsLimits limits)
    {
        var natives = new JsObject(engine);
        natives.Set("log", new ClrFunction(engine, "log", (_, args) =>
        {
            run.Log(args.Length > 0 && args[0].IsString() ? args[0].AsString() : "");
            return JsValue.Undefined;
        }));
        natives.Set("random32", new ClrFunction(engine, "random32", (_, _) => (double)BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4))));
        natives.Set("now", new ClrFunction(engine, "now", (_, _) => Stopwatch.GetElapsedTime(0).TotalMilliseconds));
        natives.Set("finish", new ClrFunction(engine, "finish", (_, args) =>
        {
            run.Finish(args.Length > 0 && args[0].IsBoolean() && args[0].AsBoolean(), args.Length > 1 && args[1].IsString() ? args[1].AsString() : "{}");
            return JsValue.Undefined;
        }));
        natives.Set("mainName", main);
        var env = new JsObject(engine);
        foreach (var (name, value) in invocation.Manifest.Environment)
        {
            env.Set(name, value);
        }

        foreach (var (name, value) in invocation.Secrets)
        {
            env.Set(name, Encoding.UTF8.GetString(value));
        }

        natives.Set("env", env);
        var math = engine.GetValue("Math").AsObject();
        math.Set("random", new ClrFunction(engine, "random", (_, _) => (RandomNumber() >> 11) * (1.0 / (1UL << 53))));

        var factory = engine.Evaluate(JsPrelude.Prepared);
        var driver = engine.Invoke(factory, JsValue.Undefined, [engine.GetValue("globalThis"), natives]).AsObject();
        limits.Started();
        try
        {
            engine.Execute(script);
            engine.Invoke(driver.Get("start"), driver, [engine.Evaluate(_lookup), Encoding.UTF8.GetString(invocation.Input.Span)]);
            engine.Advanced.ProcessTasks();
            while (!run.Finished)
            {
                var delay = engine.Invoke(driver.Get("nextDelay"), driver, []).AsNumber();
                if (delay < 0)
                {
                    run.Finish(failed: true, "{\"error\":\"The action's Promise never settled: nothing it waits for (no timer) is pending.\"}");
                    return;
                }

                limits.Wait(TimeSpan.FromMilliseconds(delay));
                engine.Invoke(driver.Get("fire"), driver, []);
                engine.Advanced.ProcessTasks();
            }
        }
        catch (JavaScriptException e)
        {
            // Thrown by the top-level code or a timer callback: an application error with the error's message.
            run.Finish(failed: true, Json(e.Error.IsObject() && e.Error.AsObject().Get("message") is { } m && m.IsString() ? ErrorName(e.Error) + m.AsString() : e.Message));
        }
    }

    private static string ErrorName(JsValue error) =>
        error.AsObject().Get("name") is { } name && name.IsString() && name.AsString() is { Length: > 0 } text && text != "Error" ? text + ": " : "";

    private static string Json(string message) => "{\"error\":" + System.Text.Json.JsonSerializer.Serialize(message, JsJson.Default.String) + "}";

    private static ulong RandomNumber()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private static string StopMessage(InvocationStatus status, FunctionManifest manifest) => status switch
    {
        InvocationStatus.Timeout => string.Create(CultureInfo.InvariantCulture, $"timeout after {manifest.TimeoutMilliseconds / 1000.0:0.0#} s"),
        InvocationStatus.MemoryLimit => string.Create(CultureInfo.InvariantCulture, $"memory limit exceeded ({manifest.MemoryBytes >> 20} MiB)"),
        InvocationStatus.FuelExhausted => string.Create(CultureInfo.InvariantCulture, $"statement budget exhausted ({manifest.Fuel} statements)"),
        _ => status.ToString(),
    };
}
