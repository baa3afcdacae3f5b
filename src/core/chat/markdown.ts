/**
 * Model output -> safe HTML. A pure function (no DOM), so Node tests can feed it hostile output and
 * inspect the result; the webview sets `innerHTML` from it.
 *
 * Model output is untrusted: markdown-it runs with `html: false` (raw HTML is shown as text), links
 * must be http(s) (others stay as plain text), images become links (nothing is fetched), and the
 * result goes through an allow-list sanitizer as a second line of defence.
 */
import MarkdownIt from "markdown-it";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import lua from "highlight.js/lib/languages/lua";
import makefile from "highlight.js/lib/languages/makefile";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import powershell from "highlight.js/lib/languages/powershell";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import scss from "highlight.js/lib/languages/scss";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { escapeHtml, isSafeLinkUrl, sanitizeHtml } from "./sanitize";
import { normalizeFenceLanguage } from "./languages";

const LANGUAGES = {
  bash,
  c,
  cpp,
  csharp,
  css,
  diff,
  dockerfile,
  go,
  ini,
  java,
  javascript,
  json,
  kotlin,
  lua,
  makefile,
  markdown,
  php,
  plaintext,
  powershell,
  python,
  ruby,
  rust,
  scss,
  shell,
  sql,
  swift,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) {
  if (!hljs.getLanguage(name)) {
    hljs.registerLanguage(name, language);
  }
}

/** Beyond this many characters the rest of an answer is not rendered (it stays in the history). */
export const MAX_RENDER_CHARS = 200_000;
/** Code blocks longer than this are shown without highlighting (highlighting is the slow part). */
export const MAX_HIGHLIGHT_CHARS = 20_000;

export interface CodeBlock {
  index: number;
  /** Cleaned fence tag, e.g. "ts"; null when the block had none. */
  language: string | null;
  code: string;
}

export interface RenderedMarkdown {
  html: string;
  codeBlocks: CodeBlock[];
  /** True when the input was longer than MAX_RENDER_CHARS and only its start was rendered. */
  truncated: boolean;
}

type RenderEnv = { codeBlocks: CodeBlock[] } & Record<string, unknown>;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false, maxNesting: 40 });
md.validateLink = isSafeLinkUrl;

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const href = String(token.attrGet("href") ?? "");
  token.attrSet("rel", "noopener noreferrer");
  token.attrSet("title", href);
  return defaultLinkOpen(tokens, idx, options, env, self);
};

md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet("src") ?? "");
  const alt = token.content.trim() || "image";
  const label = `Image: ${alt}`;
  // Never an <img>: a network image would leak that the answer was viewed, and CSP blocks it anyway.
  return isSafeLinkUrl(src)
    ? `<a class="image-link" href="${escapeHtml(src)}" title="${escapeHtml(src)}" rel="noopener noreferrer">${escapeHtml(label)}</a>`
    : `<span class="image-link">${escapeHtml(label)}</span>`;
};

md.renderer.rules.fence = (tokens, idx, _options, env) => {
  const token = tokens[idx]!;
  const language = normalizeFenceLanguage(md.utils.unescapeAll(token.info));
  return renderCodeBlock(token.content, language, env as RenderEnv);
};

md.renderer.rules.code_block = (tokens, idx, _options, env) =>
  renderCodeBlock(tokens[idx]!.content, null, env as RenderEnv);

function highlight(code: string, language: string | null): string {
  if (language && code.length <= MAX_HIGHLIGHT_CHARS && hljs.getLanguage(language)) {
    try {
      return hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } catch {
      // Fall through to plain text.
    }
  }
  return escapeHtml(code);
}

function renderCodeBlock(code: string, language: string | null, env: RenderEnv): string {
  const index = env.codeBlocks.length;
  env.codeBlocks.push({ index, language, code });
  const languageClass = language ? ` language-${language.replace(/[^A-Za-z0-9_-]/g, "_")}` : "";
  const label = language ? escapeHtml(language) : "text";
  const button = (action: string, icon: string, text: string) =>
    `<button type="button" class="code-action" data-action="${action}" data-code-index="${index}" title="${text}" aria-label="${text}">` +
    `<span class="codicon codicon-${icon}" aria-hidden="true"></span></button>`;
  return (
    `<div class="code-block" role="group" aria-label="Code block ${index + 1} (${label})" data-code-index="${index}">` +
    `<div class="code-toolbar"><span class="code-language">${label}</span><span class="code-actions">` +
    button("copy", "copy", "Copy code") +
    button("insert", "insert", "Insert code at cursor") +
    button("newFile", "new-file", "Open code in a new file") +
    button("apply", "diff", "Apply to the file (review the changes)") +
    `</span></div><pre><code class="hljs${languageClass}">${highlight(code, language)}</code></pre></div>\n`
  );
}

/** Render untrusted markdown to sanitized HTML, collecting its code blocks for the code actions. */
export function renderMarkdown(source: string): RenderedMarkdown {
  const truncated = source.length > MAX_RENDER_CHARS;
  const text = truncated ? source.slice(0, MAX_RENDER_CHARS) : source;
  const env: RenderEnv = { codeBlocks: [] };
  let html: string;
  try {
    html = md.render(text, env);
  } catch {
    // markdown-it should not throw, but a renderer must never take the view down: show plain text.
    env.codeBlocks = [];
    html = `<p>${escapeHtml(text).replace(/\n/g, "<br>")}</p>`;
  }
  if (truncated) {
    html += `<p class="render-note">The answer is too long to show in full (${source.length.toLocaleString("en-US")} characters); only the first ${MAX_RENDER_CHARS.toLocaleString("en-US")} are shown.</p>`;
  }
  return { html: sanitizeHtml(html), codeBlocks: env.codeBlocks, truncated };
}

/** Plain text of an answer for screen-reader announcements (markdown markers stripped lightly). */
export function toPlainText(source: string): string {
  return source
    .replace(/^\s*(`{3,}|~{3,}).*$/gm, "")
    .replace(/[*_`#>]+/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}
