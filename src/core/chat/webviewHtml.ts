/**
 * The chat webview's HTML shell: strict CSP with a per-load nonce, no inline script or style.
 * Pure, so the policy is unit-tested.
 */

export interface ChatHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUris: readonly string[];
}

/** A random nonce (base64url, 128 bits) from Web Crypto (available in Node 20 and browsers). */
export function makeNonce(
  random: (bytes: Uint8Array) => Uint8Array = (bytes) => globalThis.crypto.getRandomValues(bytes),
): string {
  const bytes = random(new Uint8Array(16));
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
}

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function buildChatHtml(input: ChatHtmlInput): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(input.nonce)) {
    throw new Error("invalid nonce");
  }
  const styles = input.styleUris.map((uri) => `    <link rel="stylesheet" href="${attr(uri)}">`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(input.cspSource, input.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
    <title>Local Code Assistant Chat</title>
  </head>
  <body>
    <div id="app" class="chat-app"><noscript>The chat needs scripts enabled.</noscript></div>
    <script nonce="${input.nonce}" src="${attr(input.scriptUri)}"></script>
  </body>
</html>
`;
}
