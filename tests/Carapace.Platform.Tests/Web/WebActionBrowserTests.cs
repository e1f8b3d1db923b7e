using System.Net;
using System.Security.Cryptography;
using PuppeteerSharp;

namespace Carapace.Platform.Tests.Web;

/// <summary>
/// Web actions in a real headless browser: Debian's chromium (installed by test.sh) loads a page a web action serves,
/// submits its form, whose script calls another web action with <c>fetch()</c>, and the test reads the DOM. The
/// browser trusts exactly the gateway's key (<c>--ignore-certificate-errors-spki-list</c>), not any certificate.
/// </summary>
public sealed class WebActionBrowserTests(WebPlatform web) : IClassFixture<WebPlatform>
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_page_served_by_a_web_action_calls_another_with_fetch_and_shows_its_answer()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium package (./test.sh does)");
        var spki = Convert.ToBase64String(SHA256.HashData(web.Platform.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = Chromium,
            Timeout = 90_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--ignore-certificate-errors-spki-list=" + spki],
        });
        await using var page = await browser.NewPageAsync();
        page.DefaultTimeout = 90_000;

        var loaded = await page.GoToAsync(new Uri(web.Platform.Host.Endpoint, "api/v1/web/guest/default/page.html").ToString());
        Assert.Equal(HttpStatusCode.OK, loaded.Status);
        Assert.Equal("Carapace web action", await page.GetTitleAsync());
        Assert.Equal("waiting", await page.EvaluateExpressionAsync<string>("document.getElementById('out').textContent"));

        await page.ClickAsync("#name", new PuppeteerSharp.Input.ClickOptions { Count = 3 });
        await page.TypeAsync("#name", "Zed");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => document.getElementById('out').textContent !== 'waiting'");

        // status, the action's default parameter, the query parameter, the JSON body's parameter, the method.
        Assert.Equal("200 hello Zed true post", await page.EvaluateExpressionAsync<string>("document.getElementById('out').textContent"));
    }
}
