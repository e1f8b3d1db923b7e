using System.Text;
using System.Text.Json.Nodes;
using Carapace.Gateway.Web;

namespace Carapace.Gateway.Tests.Web;

/// <summary>How a result becomes the web response for each extension, with OpenWhisk's status codes and messages.</summary>
public sealed class WebResultsTests
{
    private static JsonNode? Json(string text) => JsonNode.Parse(text);

    private static string Text(WebReply reply) => Encoding.UTF8.GetString(reply.Body);

    [Theory]
    [InlineData("hello.json", "hello", ".json")]
    [InlineData("hello.http", "hello", ".http")]
    [InlineData("hello.html", "hello", ".html")]
    [InlineData("hello.text", "hello", ".text")]
    [InlineData("hello.svg", "hello", ".svg")]
    [InlineData("hello", "hello", ".http")]
    [InlineData("hello.xml", "hello.xml", ".http")]
    [InlineData("v1.2.json", "v1.2", ".json")]
    [InlineData(".json", ".json", ".http")]
    public void The_extension_is_split_off_and_http_is_the_default(string segment, string name, string extension) =>
        Assert.Equal((name, extension), WebResults.Split(segment));

    [Fact]
    public void Json_takes_an_object_or_array_and_nothing_else()
    {
        var reply = WebResults.Render(".json", Json("""{"a": [1, 2]}"""));
        Assert.Equal(200, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        Assert.Equal(2, JsonNode.Parse(Text(reply))!["a"]!.AsArray().Count);
        Assert.Equal(200, WebResults.Render(".json", Json("[1]")).Status);
        foreach (var value in new[] { "\"text\"", "3", "true", "null" })
        {
            var refused = WebResults.Render(".json", Json(value));
            Assert.Equal((400, "Response is not valid 'application/json'."), (refused.Status, refused.Error));
        }
    }

    [Fact]
    public void Html_is_the_body_or_html_field_or_the_string_itself()
    {
        var body = WebResults.Render(".html", Json("""{"body": "<p>b</p>", "html": "<p>h</p>"}"""));
        Assert.Equal(("text/html; charset=UTF-8", "<p>b</p>"), (body.ContentType, Text(body)));
        Assert.Equal("<p>h</p>", Text(WebResults.Render(".html", Json("""{"html": "<p>h</p>"}"""))));
        Assert.Equal("<i>x</i>", Text(WebResults.Render(".html", Json("\"<i>x</i>\""))));
        var refused = WebResults.Render(".html", Json("""{"html": 5}"""));
        Assert.Equal((400, "Response is not valid 'text/html'."), (refused.Status, refused.Error));
        Assert.Equal("image/svg+xml", WebResults.Render(".svg", Json("""{"svg": "<svg/>"}""")).ContentType);
    }

    [Fact]
    public void Text_renders_any_value_and_needs_body_or_text_in_an_object()
    {
        Assert.Equal("hi", Text(WebResults.Render(".text", Json("""{"text": "hi"}"""))));
        Assert.Equal("42", Text(WebResults.Render(".text", Json("""{"body": 42}"""))));
        Assert.Equal("null", Text(WebResults.Render(".text", Json("""{"body": null}"""))));
        Assert.Equal("false", Text(WebResults.Render(".text", Json("false"))));
        Assert.Equal("text/plain; charset=UTF-8", WebResults.Render(".text", Json("\"s\"")).ContentType);
        Assert.Equal(1, JsonNode.Parse(Text(WebResults.Render(".text", Json("""{"text": {"x": 1}}"""))))!["x"]!.GetValue<int>());
        var missing = WebResults.Render(".text", Json("""{"other": 1}"""));
        Assert.Equal((404, "Response does not include requested property."), (missing.Status, missing.Error));
    }

    [Fact]
    public void Http_takes_status_headers_and_a_text_body_with_html_as_the_default_type()
    {
        var reply = WebResults.Render(".http", Json("""
            {"statusCode": 201, "headers": {"X-One": "1", "X-Many": ["a", "b"], "X-Flag": true, "X-N": 2.5}, "body": "<b>made</b>"}
            """));
        Assert.Equal(201, reply.Status);
        Assert.Equal("text/html; charset=UTF-8", reply.ContentType);
        Assert.Equal("<b>made</b>", Text(reply));
        Assert.Equal([("X-One", "1"), ("X-Many", "a"), ("X-Many", "b"), ("X-Flag", "true"), ("X-N", "2.5")],
            reply.Headers.Select(h => (h.Key, h.Value)));
        Assert.Equal(404, WebResults.Render(".http", Json("""{"statusCode": "404", "body": "gone"}""")).Status);
    }

    [Fact]
    public void Http_without_a_body_is_204_unless_a_status_is_given_and_drops_the_content_type()
    {
        var empty = WebResults.Render(".http", Json("""{"headers": {"Content-Type": "text/plain", "Location": "/x"}}"""));
        Assert.Equal(204, empty.Status);
        Assert.Null(empty.ContentType);
        Assert.Equal([("Location", "/x")], empty.Headers.Select(h => (h.Key, h.Value)));
        Assert.Equal(302, WebResults.Render(".http", Json("""{"statusCode": 302, "body": ""}""")).Status);
        Assert.Equal(204, WebResults.Render(".http", Json("""{"body": null}""")).Status);
    }

    [Fact]
    public void Http_decodes_base64_for_a_binary_type_and_refuses_what_does_not_decode()
    {
        var png = new byte[] { 0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255 };
        var reply = WebResults.Render(".http", new JsonObject
        {
            ["headers"] = new JsonObject { ["Content-Type"] = "image/png" },
            ["body"] = Convert.ToBase64String(png),
        });
        Assert.Equal("image/png", reply.ContentType);
        Assert.Equal(png, reply.Body);
        var bad = WebResults.Render(".http", Json("""{"headers": {"content-type": "application/octet-stream"}, "body": "not base64!"}"""));
        Assert.Equal((400, "Response type in header did not match generated content type."), (bad.Status, bad.Error));
        var unknown = WebResults.Render(".http", Json("""{"headers": {"content-type": "nonsense"}, "body": "x"}"""));
        Assert.Equal((400, "Response did not specify a known content-type."), (unknown.Status, unknown.Error));
    }

    [Fact]
    public void Http_renders_a_json_body_as_json_and_a_base64_string_under_a_json_type_as_its_bytes()
    {
        var json = WebResults.Render(".http", Json("""{"body": {"ok": true}}"""));
        Assert.Equal(("application/json", true), (json.ContentType, JsonNode.Parse(Text(json))!["ok"]!.GetValue<bool>()));
        var problem = WebResults.Render(".http", Json("""{"statusCode": 400, "headers": {"content-type": "application/problem+json"}, "body": {"t": 1}}"""));
        Assert.Equal((400, "application/problem+json; charset=UTF-8"), (problem.Status, problem.ContentType));
        var wrongType = WebResults.Render(".http", Json("""{"headers": {"content-type": "text/plain"}, "body": {"t": 1}}"""));
        Assert.Equal((400, "Response type in header did not match generated content type."), (wrongType.Status, wrongType.Error));
        var encoded = WebResults.Render(".http", new JsonObject
        {
            ["headers"] = new JsonObject { ["content-type"] = "application/json" },
            ["body"] = Convert.ToBase64String("{\"x\":1}"u8.ToArray()),
        });
        Assert.Equal("{\"x\":1}", Text(encoded));
    }

    [Theory]
    [InlineData("\"a string\"")]
    [InlineData("""{"statusCode": 200.5}""")]
    [InlineData("""{"statusCode": "abc"}""")]
    [InlineData("""{"statusCode": 99}""")]
    [InlineData("""{"statusCode": 600}""")]
    [InlineData("""{"statusCode": true}""")]
    [InlineData("""{"headers": "x"}""")]
    [InlineData("""{"headers": {"X": {"nested": 1}}}""")]
    [InlineData("""{"headers": {"X": null}}""")]
    [InlineData("""{"headers": {"Bad Name": "v"}}""")]
    [InlineData("""{"headers": {"X": "line\r\nInjected: 1"}}""")]
    public void Http_refuses_what_is_not_an_http_response(string result)
    {
        var reply = WebResults.Render(".http", Json(result));
        Assert.Equal((400, "Response is not valid 'message/http'."), (reply.Status, reply.Error));
    }

    [Fact]
    public void Http_keeps_framing_to_the_server_and_a_no_content_status_without_a_body()
    {
        var reply = WebResults.Render(".http", Json("""{"headers": {"Content-Length": "1", "Transfer-Encoding": "chunked", "X-Ok": "1"}, "body": "abc"}"""));
        Assert.Equal([("X-Ok", "1")], reply.Headers.Select(h => (h.Key, h.Value)));
        var noContent = WebResults.Render(".http", Json("""{"statusCode": 204, "body": "ignored"}"""));
        Assert.Equal((204, 0), (noContent.Status, noContent.Body.Length));
    }
}
