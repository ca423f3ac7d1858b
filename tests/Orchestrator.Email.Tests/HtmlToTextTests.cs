namespace Orchestrator.Email.Tests;

public sealed class HtmlToTextTests
{
    [Fact]
    public void Keeps_the_readable_text_and_link_targets_and_drops_what_is_not_shown()
    {
        const string html = """
            <html><head><title>x</title><style>p { color: red }</style></head>
            <body>
              <div style="display:none;max-height:0;overflow:hidden">Preheader</div>
              <h1>Hi&nbsp;Ada</h1>
              <p>Your   cart
                 misses you &amp; so do we.<br>See <a href="https://shop.example/cart?a=1&amp;b=2">your cart</a>.</p>
              <ul><li>Boots</li><li>Tent</li></ul>
              <p><a href="https://shop.example">https://shop.example</a> <a href="#top">Top</a></p>
              <!-- tracking -->
            </body></html>
            """;

        Assert.Equal(
            "Hi Ada\n\nYour cart misses you & so do we.\nSee your cart (https://shop.example/cart?a=1&b=2).\n\n- Boots\n- Tent\n\nhttps://shop.example Top",
            HtmlToText.Convert(html));
    }
}
