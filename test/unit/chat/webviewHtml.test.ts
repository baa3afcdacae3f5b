import * as assert from "node:assert/strict";
import { buildChatHtml, contentSecurityPolicy, makeNonce } from "../../../src/core/chat/webviewHtml";

describe("chat webview HTML", () => {
  const nonce = makeNonce();
  const html = buildChatHtml({
    cspSource: "https://file+.vscode-resource.vscode-cdn.net",
    nonce,
    scriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.js",
    styleUris: [
      "https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css",
      "https://file+.vscode-resource.vscode-cdn.net/ext/media/chat/chat.css",
    ],
  });

  it("makes a fresh 128-bit nonce each time", () => {
    assert.match(nonce, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(makeNonce(), makeNonce());
  });

  it("has a strict CSP: nothing by default, styles and fonts from the webview source, scripts by nonce only", () => {
    const csp = contentSecurityPolicy("vscode-src", "abc");
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /style-src vscode-src(;|$)/);
    assert.match(csp, /font-src vscode-src(;|$)/);
    assert.match(csp, /script-src 'nonce-abc'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.ok(
      html.includes(`content="${contentSecurityPolicy("https://file+.vscode-resource.vscode-cdn.net", nonce)}"`),
    );
  });

  it("has exactly one script, external, carrying the nonce, and no inline script or style", () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.equal(scripts.length, 1);
    assert.ok(scripts[0]!.includes(`nonce="${nonce}"`));
    assert.match(scripts[0]!, /src="[^"]+\/dist\/webview\/chat\.js"/);
    assert.match(html, /<script[^>]*><\/script>/, "the script element must be empty");
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  });

  it("rejects a nonce that could break out of the attribute", () => {
    assert.throws(() => buildChatHtml({ cspSource: "x", nonce: '"><script>', scriptUri: "a", styleUris: [] }));
  });
});
