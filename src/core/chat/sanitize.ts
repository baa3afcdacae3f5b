/**
 * An allow-list HTML sanitizer for the renderer's output: defence in depth behind markdown-it's
 * `html: false`. Only the listed tags and attributes survive; `href` must be an http(s) URL; any
 * `<` that does not open an allowed, well-formed tag is escaped. Pure string code, so it runs the
 * same in Node tests and in the webview.
 */

const GLOBAL_ATTRIBUTES = ["class", "title", "aria-label", "aria-hidden"];

const ALLOWED_TAGS: Record<string, readonly string[]> = {
  a: ["href", "rel"],
  p: [],
  br: [],
  hr: [],
  h1: [],
  h2: [],
  h3: [],
  h4: [],
  h5: [],
  h6: [],
  strong: [],
  em: [],
  s: [],
  del: [],
  sup: [],
  sub: [],
  code: [],
  pre: [],
  blockquote: [],
  ul: [],
  ol: ["start"],
  li: [],
  table: [],
  thead: [],
  tbody: [],
  tr: [],
  th: [],
  td: [],
  span: [],
  div: ["data-code-index", "role"],
  button: ["type", "data-action", "data-code-index"],
};

const VOID_TAGS = new Set(["br", "hr"]);

const ATTRIBUTE_CHECKS: Record<string, (value: string) => boolean> = {
  class: (v) => /^[A-Za-z0-9_ -]{0,300}$/.test(v),
  href: (v) => isSafeLinkUrl(v),
  rel: (v) => /^[a-z ]{0,64}$/.test(v),
  start: (v) => /^\d{1,9}$/.test(v),
  type: (v) => v === "button",
  role: (v) => v === "group" || v === "note",
  "data-action": (v) => v === "copy" || v === "insert" || v === "newFile" || v === "apply",
  "data-code-index": (v) => /^\d{1,6}$/.test(v),
  "aria-hidden": (v) => v === "true",
};

/**
 * True for absolute http(s) URLs only. Control characters and whitespace are rejected outright
 * (browsers strip some of them before reading the scheme, which is how `java\tscript:` tricks work).
 */
export function isSafeLinkUrl(url: string): boolean {
  if (url.length > 4096 || /[\u0000-\u0020\u007f-\u009f\\]/.test(url)) {
    return false;
  }
  return /^https?:\/\/[^/?#]/i.test(url);
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Decode the entities that can appear in an attribute value (numeric and the basic named ones). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});?/gi, (whole, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : "\ufffd";
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

const TAG_RE =
  /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'<>\/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/y;
const ATTR_RE = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** Keep only allow-listed tags and attributes; escape everything else as text. */
export function sanitizeHtml(html: string): string {
  let out = "";
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    const end = lt < 0 ? html.length : lt;
    if (end > i) {
      out += html.slice(i, end).replace(/>/g, "&gt;");
    }
    if (lt < 0) {
      break;
    }
    TAG_RE.lastIndex = lt;
    const match = TAG_RE.exec(html);
    if (!match) {
      out += "&lt;";
      i = lt + 1;
      continue;
    }
    i = lt + match[0].length;
    const closing = match[1] === "/";
    const name = match[2]!.toLowerCase();
    const allowed = ALLOWED_TAGS[name];
    if (!allowed) {
      continue;
    }
    if (closing) {
      if (!VOID_TAGS.has(name)) {
        out += `</${name}>`;
      }
      continue;
    }
    out += `<${name}${sanitizeAttributes(name, match[3] ?? "", allowed)}>`;
  }
  return out;
}

function sanitizeAttributes(tag: string, source: string, allowed: readonly string[]): string {
  let out = "";
  const seen = new Set<string>();
  for (const attr of source.matchAll(ATTR_RE)) {
    const name = attr[1]!.toLowerCase();
    if (seen.has(name) || !(allowed.includes(name) || GLOBAL_ATTRIBUTES.includes(name))) {
      continue;
    }
    const value = decodeEntities(attr[2] ?? attr[3] ?? attr[4] ?? "");
    const check = ATTRIBUTE_CHECKS[name];
    if (check && !check(value)) {
      continue;
    }
    seen.add(name);
    out += ` ${name}="${escapeHtml(value)}"`;
  }
  if (tag === "a" && seen.has("href")) {
    if (!seen.has("rel")) {
      out += ' rel="noopener noreferrer"';
    }
  }
  return out;
}
