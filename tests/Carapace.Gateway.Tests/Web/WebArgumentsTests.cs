using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller;
using Carapace.Controller.Registry;
using Carapace.Gateway.Web;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Tests.Web;

/// <summary>How a web request becomes the action's input, as OpenWhisk builds it.</summary>
public sealed class WebArgumentsTests
{
    private static HttpRequest Request(string method, string query = "", string? contentType = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.QueryString = new QueryString(query);
        context.Request.ContentType = contentType;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context.Request;
    }

    private static WebAnnotations Annotations(bool raw = false, bool final = false, params (string Key, string Value)[] parameters) =>
        WebAnnotations.Of(new ActionRecord
        {
            Name = ActionName.Of("ns", "a"),
            Version = "0.0.1",
            Exec = new ActionCode("wasm:wasi", null, 0, []),
            Limits = new ActionLimits(128, 1000),
            Annotations = [KeyValue.Of("web-export", true), KeyValue.Of("raw-http", raw), KeyValue.Of("final", final)],
            Parameters = [.. parameters.Select(p => KeyValue.Of(p.Key, p.Value))],
            Confidential = false,
            Publish = false,
            Updated = DateTimeOffset.UnixEpoch,
        });

    private static JsonObject Build(HttpRequest request, string body = "", WebAnnotations? annotations = null, string? user = null, bool consumed = false)
    {
        var outcome = WebArguments.Build(request, Encoding.UTF8.GetBytes(body), "/p/q", user, annotations ?? Annotations(), consumed);
        Assert.Null(outcome.Error);
        return outcome.Arguments!;
    }

    [Fact]
    public void The_request_context_comes_first_then_the_query_then_a_json_body_which_wins()
    {
        var args = Build(Request("POST", "?name=query&only=q&name=last", "application/json", ("X-Custom", "v"), ("Authorization", "Bearer app-token")),
            """{"name": "body", "n": 1}""", user: "guest");
        Assert.Equal("post", args["__ow_method"]!.GetValue<string>());
        Assert.Equal("/p/q", args["__ow_path"]!.GetValue<string>());
        Assert.Equal("guest", args["__ow_user"]!.GetValue<string>());
        Assert.Equal("v", args["__ow_headers"]!["x-custom"]!.GetValue<string>());
        Assert.Equal("application/json", args["__ow_headers"]!["content-type"]!.GetValue<string>());
        Assert.Equal("Bearer app-token", args["__ow_headers"]!["authorization"]!.GetValue<string>()); // the application's own scheme passes
        Assert.Equal("body", args["name"]!.GetValue<string>());
        Assert.Equal("q", args["only"]!.GetValue<string>());
        Assert.Equal(1, args["n"]!.GetValue<int>());
        Assert.False(args.ContainsKey("__ow_body"));
        Assert.False(args.ContainsKey("__ow_query"));
    }

    [Fact]
    public void A_carapace_credential_is_not_passed_on_and_an_anonymous_call_has_no_user()
    {
        var args = Build(Request("GET", headers: ("Authorization", "Basic abc")), consumed: true);
        Assert.False(args["__ow_headers"]!.AsObject().ContainsKey("authorization"));
        Assert.False(args.ContainsKey("__ow_user"));
    }

    [Fact]
    public void A_form_body_becomes_parameters_and_other_bodies_become_ow_body()
    {
        var form = Build(Request("POST", contentType: "application/x-www-form-urlencoded"), "a=1&b=two+words");
        Assert.Equal(("1", "two words"), (form["a"]!.GetValue<string>(), form["b"]!.GetValue<string>()));
        Assert.Equal("plain text", Build(Request("POST", contentType: "text/plain"), "plain text")["__ow_body"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String("\u0001\u0002"u8.ToArray()),
            Build(Request("PUT", contentType: "application/octet-stream"), "\u0001\u0002")["__ow_body"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String("xyz"u8.ToArray()), Build(Request("PUT"), "xyz")["__ow_body"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Array, Build(Request("POST", contentType: "application/json"), "[1,2]")["__ow_body"]!.GetValueKind());
        Assert.False(Build(Request("POST", contentType: "application/json"), "").ContainsKey("__ow_body"));
    }

    [Fact]
    public void A_raw_action_gets_the_query_string_and_the_body_unparsed()
    {
        var raw = Annotations(raw: true);
        var args = Build(Request("POST", "?a=1&b=%20x", "application/json"), """{"x": 1}""", raw);
        Assert.Equal("a=1&b=%20x", args["__ow_query"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String("""{"x": 1}"""u8.ToArray()), args["__ow_body"]!.GetValue<string>());
        Assert.False(args.ContainsKey("a"));
        Assert.Equal("hi", Build(Request("POST", contentType: "text/plain"), "hi", raw)["__ow_body"]!.GetValue<string>());
        var empty = Build(Request("GET"), "", raw);
        Assert.Equal(("", ""), (empty["__ow_body"]!.GetValue<string>(), empty["__ow_query"]!.GetValue<string>()));
        // A raw action may be sent what a parsed one may not.
        Assert.Null(WebArguments.Build(Request("GET", "?__ow_method=x"), [], "", null, raw, false).Error);
    }

    [Theory]
    [InlineData("?__ow_method=get", "")]
    [InlineData("?__ow_user=root", "")]
    [InlineData("", """{"__ow_headers": {}}""")]
    [InlineData("?name=x", "")]
    [InlineData("", """{"name": "x"}""")]
    public void Reserved_and_final_parameters_may_not_be_set_by_the_request(string query, string body)
    {
        var final = Annotations(false, true, ("name", "fixed"));
        var outcome = WebArguments.Build(Request("POST", query, "application/json"), Encoding.UTF8.GetBytes(body), "", null, final, false);
        Assert.Equal((400, "Request defines parameters that are not allowed (e.g., reserved properties)."), (outcome.Status, outcome.Error));
        Assert.Null(WebArguments.Build(Request("GET", "?name=x"), [], "", null, Annotations(false, false, ("name", "fixed")), false).Error);
    }

    [Fact]
    public void A_json_body_that_does_not_parse_is_a_bad_request()
    {
        var outcome = WebArguments.Build(Request("POST", contentType: "application/json"), "{nope"u8.ToArray(), "", null, Annotations(), false);
        Assert.Equal(400, outcome.Status);
        Assert.Contains("not valid JSON", outcome.Error, StringComparison.Ordinal);
    }
}
