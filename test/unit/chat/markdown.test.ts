import * as assert from "node:assert/strict";
import { MAX_RENDER_CHARS, renderMarkdown, toPlainText } from "../../../src/core/chat/markdown";
import { decodeEntities, isSafeLinkUrl, sanitizeHtml } from "../../../src/core/chat/sanitize";
import { assertNothingExecutable } from "./helpers";

/** Model outputs that try to run script, load resources or break out of the markup. */
const HOSTILE: [string, string][] = [
  ["script tag", "<script>alert(1)</script>"],
  ["script tag mid-paragraph", "Hello <script src=https://evil.example/x.js></script> world"],
  ["img onerror", '<img src=x onerror="alert(1)">'],
  ["svg onload", "<svg onload=alert(1)><circle/></svg>"],
  ["iframe", '<iframe src="https://evil.example"></iframe>'],
  ["iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ["raw anchor with javascript", '<a href="javascript:alert(1)">click</a>'],
  ["style tag", "<style>body{display:none}</style>"],
  ["details ontoggle", "<details open ontoggle=alert(1)>x</details>"],
  ["form", '<form action="https://evil.example"><input name=a></form>'],
  ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
  ["html comment", "<!-- <script>alert(1)</script> -->"],
  ["markdown javascript link", "[click me](javascript:alert(1))"],
  ["mixed-case javascript link", "[click](JaVaScRiPt:alert(1))"],
  ["entity-encoded javascript link", "[click](&#106;avascript:alert(1))"],
  ["javascript link with tab", "[click](java\tscript:alert(1))"],
  ["javascript link with leading space", "[click]( javascript:alert(1))"],
  ["vbscript link", "[click](vbscript:msgbox(1))"],
  ["data URL link", "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
  ["file URL link", "[passwd](file:///etc/passwd)"],
  ["autolink javascript", "<javascript:alert(1)>"],
  ["reference link javascript", "[click][x]\n\n[x]: javascript:alert(1)"],
  ["link title breaking out", '[ok](https://ok.example "a\\" onmouseover=\\"alert(1)")'],
  ["link href breaking out", '[ok](https://ok.example/" onmouseover="alert(1))'],
  ["network image", "![tracker](https://evil.example/pixel.png)"],
  ["javascript image", "![x](javascript:alert(1))"],
  ["data image", "![x](data:image/png;base64,AAAA)"],
  ["hostile fence language", '```"><img src=x onerror=alert(1)>\ncode\n```'],
  ["code closing its own markup", "```html\n</code></pre><script>alert(1)</script>\n```"],
  ["inline code with html", "`<img src=x onerror=alert(1)>`"],
  ["unterminated fence", "Here:\n```js\nconst s = '<script>alert(1)</script>';\nfunction f() {"],
  ["unterminated html", "<div onclick=alert(1)"],
  ["table with html", "| a | b |\n|---|---|\n| <script>x</script> | <img src=x> |"],
  ["nested blockquotes with html", "> > > <iframe src=x></iframe>"],
];

describe("chat markdown renderer: hostile model output", () => {
  for (const [name, source] of HOSTILE) {
    it(`renders nothing executable: ${name}`, () => {
      const { html } = renderMarkdown(source);
      assertNothingExecutable(html);
    });
  }

  it("shows raw HTML as text instead of dropping it", () => {
    const { html } = renderMarkdown("Use <script>alert(1)</script> carefully");
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it("keeps a neutralised link as visible text", () => {
    const { html } = renderMarkdown("[click me](javascript:alert(1))");
    assert.doesNotMatch(html, /<a\b/);
    assert.match(html, /\[click me\]\(javascript:alert\(1\)\)/);
  });

  it("keeps http(s) links, with rel=noopener", () => {
    const { html } = renderMarkdown("See [the docs](https://example.com/a?b=1&c=2) and <http://example.org>.");
    assert.match(html, /<a href="https:\/\/example\.com\/a\?b=1&amp;c=2" rel="noopener noreferrer"/);
    assert.match(html, /<a href="http:\/\/example\.org"/);
  });

  it("never loads images: a network image becomes a link labelled as an image", () => {
    const { html } = renderMarkdown("![diagram](https://example.com/d.png)");
    assert.doesNotMatch(html, /<img/i);
    assert.match(html, /<a class="image-link" href="https:\/\/example\.com\/d\.png"[^>]*>Image: diagram<\/a>/);
  });

  it("highlights code blocks and gives each Copy / Insert / New File / Apply buttons", () => {
    const { html, codeBlocks } = renderMarkdown("Text\n\n```ts\nconst a: number = 1;\n```\n\n```\nplain < text\n```\n");
    assert.equal(codeBlocks.length, 2);
    assert.deepEqual(codeBlocks[0], { index: 0, language: "ts", code: "const a: number = 1;\n" });
    assert.deepEqual(codeBlocks[1], { index: 1, language: null, code: "plain < text\n" });
    assert.match(html, /<span class="hljs-keyword">const<\/span>/);
    for (const action of ["copy", "insert", "newFile", "apply"]) {
      assert.equal(html.match(new RegExp(`data-action="${action}"`, "g"))?.length, 2, action);
    }
    assert.match(html, /plain &lt; text/);
    assertNothingExecutable(html);
  });

  it("cleans a hostile fence language before using it as a class name", () => {
    const { html, codeBlocks } = renderMarkdown('```"><img src=x onerror=alert(1)>\nx\n```');
    assert.match(codeBlocks[0]!.language ?? "", /^[a-z0-9_+#.-]*$/);
    assert.doesNotMatch(html, /onerror=/);
  });

  it("renders an unterminated code fence (a streaming answer) as a code block to the end", () => {
    const { html, codeBlocks } = renderMarkdown("Start\n```python\ndef f():\n    return '<b>'");
    assert.equal(codeBlocks.length, 1);
    assert.equal(codeBlocks[0]!.code, "def f():\n    return '<b>'");
    assert.match(html, /&lt;b&gt;/);
  });

  it("renders huge outputs quickly, truncated with a note", () => {
    const source = "word ".repeat(Math.ceil((MAX_RENDER_CHARS * 2) / 5));
    const start = Date.now();
    const result = renderMarkdown(source);
    assert.ok(Date.now() - start < 5000, "took too long");
    assert.equal(result.truncated, true);
    assert.match(result.html, /too long to show in full/);
    assert.ok(result.html.length < MAX_RENDER_CHARS * 2);
  });

  it("survives pathological nesting and huge code blocks without throwing", () => {
    const cases = [
      ">".repeat(50_000) + " x",
      "[".repeat(50_000),
      "*".repeat(50_000),
      "- ".repeat(20_000) + "x",
      "```js\n" + "let a = 1;\n".repeat(15_000) + "```",
    ];
    for (const source of cases) {
      const start = Date.now();
      const { html } = renderMarkdown(source);
      assert.ok(Date.now() - start < 5000, `too slow for ${source.slice(0, 10)}`);
      assertNothingExecutable(html);
    }
  });

  it("toPlainText strips markdown for screen-reader announcements", () => {
    assert.equal(
      toPlainText("**Bold** and `code` with [a link](https://x.y)\n```ts\nx\n```"),
      "Bold and code with a link x",
    );
  });
});

describe("chat HTML sanitizer", () => {
  it("drops disallowed tags and event handlers, keeps the allowed structure", () => {
    assert.equal(sanitizeHtml('<p onclick="x()">hi<img src=x onerror=alert(1)></p>'), "<p>hi</p>");
    assert.equal(sanitizeHtml("<script>alert(1)</script>"), "alert(1)");
    assert.equal(sanitizeHtml('<iframe src="https://x"></iframe>ok'), "ok");
  });

  it("removes unsafe hrefs, including encoded and whitespace-split schemes", () => {
    for (const href of [
      "javascript:alert(1)",
      "java&#x09;script:alert(1)",
      "&#106;avascript:alert(1)",
      " javascript:alert(1)",
      "data:text/html,x",
      "//evil.example",
      "/relative",
      "#top",
    ]) {
      assert.equal(sanitizeHtml(`<a href="${href}">x</a>`), "<a>x</a>", href);
    }
    assert.equal(
      sanitizeHtml('<a href="https://ok.example/?a=1&amp;b=2">x</a>'),
      '<a href="https://ok.example/?a=1&amp;b=2" rel="noopener noreferrer">x</a>',
    );
  });

  it("escapes stray angle brackets and comments instead of passing them through", () => {
    assert.equal(sanitizeHtml("a < b <!-- x --> c"), "a &lt; b &lt;!-- x --&gt; c");
    // The inner <script> is removed; what remains is shown as the text "<script>alert(1)".
    assert.equal(sanitizeHtml("<scr<script>ipt>alert(1)</script>"), "&lt;script&gt;alert(1)");
  });

  it("validates attribute values (class, data-*, type) and drops style", () => {
    assert.equal(
      sanitizeHtml('<div class="code-block" data-code-index="3" style="color:red">x</div>'),
      '<div class="code-block" data-code-index="3">x</div>',
    );
    assert.equal(sanitizeHtml('<div class="a&quot; onclick=&quot;x" data-code-index="1;x">x</div>'), "<div>x</div>");
    assert.equal(sanitizeHtml('<button type="submit" data-action="rm">x</button>'), "<button>x</button>");
    assert.equal(
      sanitizeHtml('<span title="&quot;&gt;&lt;script&gt;">x</span>'),
      '<span title="&quot;&gt;&lt;script&gt;">x</span>',
    );
  });

  it("is fast on hostile input with many unclosed tags", () => {
    const start = Date.now();
    sanitizeHtml("<a " + " x".repeat(20_000));
    sanitizeHtml("<".repeat(100_000));
    assert.ok(Date.now() - start < 2000);
  });

  it("isSafeLinkUrl accepts only absolute http(s) URLs", () => {
    assert.equal(isSafeLinkUrl("https://example.com"), true);
    assert.equal(isSafeLinkUrl("HTTP://EXAMPLE.COM/x"), true);
    for (const bad of [
      "javascript:alert(1)",
      "https:alert(1)",
      "https://",
      "mailto:a@b.c",
      "ftp://x",
      "https://a\nb",
      "https:\\\\evil",
      "",
    ]) {
      assert.equal(isSafeLinkUrl(bad), false, bad);
    }
  });

  it("decodeEntities handles numeric, hex and named entities", () => {
    assert.equal(decodeEntities("&#106;&#x61;&amp;&lt;&quot;&unknown;"), 'ja&<"&unknown;');
  });
});
