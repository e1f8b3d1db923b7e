using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests.Web;

/// <summary>
/// Web actions through the real platform, from a plain HTTP client without a credential: the request becomes the
/// action's input and its result the HTTP response, with OpenWhisk's extensions, annotations, statuses and messages.
/// </summary>
public sealed class WebActionTests(WebPlatform web) : IClassFixture<WebPlatform>
{
    private readonly HttpClient _anonymous = web.Anonymous();

    private static async Task<JsonObject> JsonOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(response.Headers.GetValues("X-Request-ID").Single(), body["code"]!.GetValue<string>());
        return body["error"]!.GetValue<string>();
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    [Fact]
    public async Task The_request_reaches_the_action_as_its_parameters_and_the_result_comes_back_as_json()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/web/guest/default/api.json/extra/path?name=query&x=1")
        {
            Content = Json("""{"name": "body", "n": 2}"""),
        };
        request.Headers.Add("X-Test", "yes");
        using var response = await _anonymous.SendAsync(request);
        var result = await JsonOf(response);

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("post", result["__ow_method"]!.GetValue<string>());
        Assert.Equal("/extra/path", result["__ow_path"]!.GetValue<string>());
        Assert.Equal("yes", result["__ow_headers"]!["x-test"]!.GetValue<string>());
        Assert.Equal("body", result["name"]!.GetValue<string>()); // the body over the query
        Assert.Equal("1", result["x"]!.GetValue<string>());
        Assert.Equal(2, result["n"]!.GetValue<int>());
        Assert.Equal("hello", result["greeting"]!.GetValue<string>()); // the action's default parameter
        Assert.False(result.ContainsKey("__ow_user"));

        // The activation is the namespace's, recorded like any other.
        var id = response.Headers.GetValues("x-openwhisk-activation-id").Single();
        using var activation = await web.Platform.Client().GetAsync($"api/v1/namespaces/_/activations/{id}");
        var record = await JsonOf(activation);
        Assert.Equal(("api", "guest"), (record["name"]!.GetValue<string>(), record["subject"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Every_method_of_openwhisk_runs_the_action(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "api/v1/web/guest/default/api.json");
        using var response = await _anonymous.SendAsync(request);
        Assert.Equal(method.ToLowerInvariant(), (await JsonOf(response))["__ow_method"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_action_in_a_package_and_through_a_binding_is_served_with_the_packages_parameters()
    {
        var owner = web.Platform.Client();
        async Task PutAsync(string path, string json)
        {
            using var put = await owner.PutAsync(path, Json(json));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var module = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("echo")));
        await PutAsync("api/v1/namespaces/_/packages/tools?overwrite=true", """{"parameters":[{"key":"from","value":"package"},{"key":"p","value":1}]}""");
        await PutAsync("api/v1/namespaces/_/actions/tools/shout?overwrite=true",
            $$"""{"exec":{"kind":"wasm:wasi","code":"{{module}}"},"annotations":[{"key":"web-export","value":true},{"key":"confidential","value":false}]}""");
        await PutAsync("api/v1/namespaces/_/packages/mine?overwrite=true",
            """{"binding":{"namespace":"guest","name":"tools"},"parameters":[{"key":"from","value":"binding"}]}""");

        var packaged = await JsonOf(await _anonymous.GetAsync("api/v1/web/guest/tools/shout.json?q=1"));
        Assert.Equal(("package", 1, "1"), (packaged["from"]!.GetValue<string>(), packaged["p"]!.GetValue<int>(), packaged["q"]!.GetValue<string>()));

        var bound = await JsonOf(await _anonymous.GetAsync("api/v1/web/guest/mine/shout.json"));
        Assert.Equal(("binding", 1), (bound["from"]!.GetValue<string>(), bound["p"]!.GetValue<int>())); // the binding's over its package's

        Assert.Equal("The requested resource does not exist.", await ErrorOf(await _anonymous.GetAsync("api/v1/web/guest/nothing/shout.json"), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task A_caller_with_the_namespaces_credential_is_named_and_its_credential_is_not_passed_on()
    {
        using var response = await web.Platform.Client().GetAsync("api/v1/web/guest/default/api.json");
        var result = await JsonOf(response);
        Assert.Equal("guest", result["__ow_user"]!.GetValue<string>());
        Assert.False(result["__ow_headers"]!.AsObject().ContainsKey("authorization"));
    }

    [Fact]
    public async Task Http_answers_with_the_results_status_headers_and_body()
    {
        using var made = await _anonymous.PostAsync("api/v1/web/guest/default/api.http",
            Json("""{"statusCode": 201, "headers": {"X-Made": "yes", "Content-Type": "text/plain"}, "body": "made"}"""));
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        Assert.Equal("yes", made.Headers.GetValues("X-Made").Single());
        Assert.Equal("text/plain; charset=UTF-8", made.Content.Headers.ContentType!.ToString());
        Assert.Equal("made", await made.Content.ReadAsStringAsync());

        // No extension is .http; a result without a body is 204.
        using var empty = await _anonymous.PostAsync("api/v1/web/guest/default/api", Json("""{"headers": {"Location": "/elsewhere"}}"""));
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        Assert.Equal("/elsewhere", empty.Headers.Location!.OriginalString);

        using var notFound = await _anonymous.GetAsync("api/v1/web/guest/default/api.http?statusCode=404&body=missing");
        Assert.Equal((HttpStatusCode.NotFound, "missing"), (notFound.StatusCode, await notFound.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_binary_body_is_sent_base64_and_arrives_as_bytes_both_ways()
    {
        var png = new byte[] { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 128 };
        using var image = await _anonymous.PostAsync("api/v1/web/guest/default/api.http",
            Json($$"""{"headers": {"Content-Type": "image/png"}, "body": "{{Convert.ToBase64String(png)}}"}"""));
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType!.MediaType);
        Assert.Equal(png, await image.Content.ReadAsByteArrayAsync());

        var upload = new ByteArrayContent(png);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var echoed = await _anonymous.PutAsync("api/v1/web/guest/default/api.json", upload);
        Assert.Equal(Convert.ToBase64String(png), (await JsonOf(echoed))["__ow_body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Html_and_text_answer_with_the_body_or_their_own_field()
    {
        using var page = await _anonymous.GetAsync("api/v1/web/guest/default/page.html");
        Assert.Equal("text/html; charset=UTF-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("<form id=\"greet\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var text = await _anonymous.GetAsync("api/v1/web/guest/default/api.text?text=plain%20words");
        Assert.Equal("text/plain", text.Content.Headers.ContentType!.MediaType);
        Assert.Equal("plain words", await text.Content.ReadAsStringAsync());

        using var missing = await _anonymous.GetAsync("api/v1/web/guest/default/api.text");
        Assert.Equal("Response does not include requested property.", await ErrorOf(missing, HttpStatusCode.NotFound));
        using var notHtml = await _anonymous.GetAsync("api/v1/web/guest/default/api.html");
        Assert.Equal("Response is not valid 'text/html'.", await ErrorOf(notHtml, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_raw_action_receives_the_query_string_and_the_body_as_they_came()
    {
        using var text = await _anonymous.PostAsync("api/v1/web/guest/default/raw.json?a=1&b=two%20words",
            new StringContent("hello", Encoding.UTF8, "text/plain"));
        var result = await JsonOf(text);
        Assert.Equal("a=1&b=two%20words", result["__ow_query"]!.GetValue<string>());
        Assert.Equal("hello", result["__ow_body"]!.GetValue<string>());
        Assert.False(result.ContainsKey("a"));

        using var json = await _anonymous.PostAsync("api/v1/web/guest/default/raw.json", Json("""{"k": 1}"""));
        Assert.Equal(Convert.ToBase64String("""{"k": 1}"""u8.ToArray()), (await JsonOf(json))["__ow_body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Final_and_reserved_parameters_cannot_be_set_by_the_request()
    {
        const string NotAllowed = "Request defines parameters that are not allowed (e.g., reserved properties).";
        using var query = await _anonymous.GetAsync("api/v1/web/guest/default/locked.json?name=Mallory");
        Assert.Equal(NotAllowed, await ErrorOf(query, HttpStatusCode.BadRequest));
        using var body = await _anonymous.PostAsync("api/v1/web/guest/default/locked.json", Json("""{"name": "Mallory"}"""));
        Assert.Equal(NotAllowed, await ErrorOf(body, HttpStatusCode.BadRequest));
        using var reserved = await _anonymous.GetAsync("api/v1/web/guest/default/api.json?__ow_method=get");
        Assert.Equal(NotAllowed, await ErrorOf(reserved, HttpStatusCode.BadRequest));

        using var allowed = await _anonymous.GetAsync("api/v1/web/guest/default/locked.json?other=1");
        Assert.Equal("Jane", (await JsonOf(allowed))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_application_error_answers_with_its_error_value()
    {
        using var teapot = await _anonymous.PostAsync("api/v1/web/guest/default/api.http",
            Json("""{"error": {"statusCode": 418, "body": "short and stout"}}"""));
        Assert.Equal((HttpStatusCode)418, teapot.StatusCode);
        Assert.Equal("short and stout", await teapot.Content.ReadAsStringAsync());

        using var json = await _anonymous.PostAsync("api/v1/web/guest/default/api.json", Json("""{"error": "boom"}"""));
        Assert.Equal("Response is not valid 'application/json'.", await ErrorOf(json, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_confidential_action_is_refused_and_nothing_runs()
    {
        using var response = await _anonymous.PostAsync("api/v1/web/guest/default/sealed.json", Json("{}"));
        Assert.Contains("is confidential", await ErrorOf(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("x-openwhisk-activation-id"));
    }

    [Fact]
    public async Task Options_runs_an_action_that_answers_it_itself_and_is_answered_for_the_others()
    {
        using var own = new HttpRequestMessage(HttpMethod.Options, "api/v1/web/guest/default/custom-options.http?statusCode=200&body=mine");
        using var ownResponse = await _anonymous.SendAsync(own);
        Assert.Equal("mine", await ownResponse.Content.ReadAsStringAsync());
        Assert.False(ownResponse.Headers.Contains("Access-Control-Allow-Origin"));

        using var other = new HttpRequestMessage(HttpMethod.Options, "api/v1/web/guest/default/api.http");
        using var otherResponse = await _anonymous.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
        Assert.Equal("*", otherResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(otherResponse.Headers.Contains("x-openwhisk-activation-id"));
    }

    [Fact]
    public async Task Head_answers_the_status_and_headers_without_a_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "api/v1/web/guest/default/api.json");
        using var response = await _anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("x-openwhisk-activation-id"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_body_over_the_invocation_limit_is_refused()
    {
        var big = new ByteArrayContent(new byte[WebPlatform.MaxInvocationBytes + 1]);
        big.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await _anonymous.PostAsync("api/v1/web/guest/default/api.json", big);
        Assert.Contains($"larger than the allowed {WebPlatform.MaxInvocationBytes} bytes", await ErrorOf(response, HttpStatusCode.RequestEntityTooLarge),
            StringComparison.Ordinal);
    }
}
