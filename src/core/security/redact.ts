/**
 * The one redaction function for text that can hold a secret: error messages, log lines, server
 * answers echoed back. Every path that shows such text (the remote engine, the downloader, the
 * worker client's log, the CLI) runs it through redactSecrets, with the secrets it knows of
 * (the API key, a token) replaced wherever they appear, plus the shapes secrets come in:
 * Authorization/Bearer values, credentials in URLs, OpenAI-style `sk-` keys, Hugging Face `hf_`
 * tokens and `api_key=`/`token=`/`password=` pairs. Pure, so it is unit-tested on its own.
 */

export const REDACTED = "[redacted]";

/** Known secrets shorter than this are not replaced literally (they would mangle ordinary words). */
const MIN_LITERAL = 6;

const PATTERNS: readonly [RegExp, string][] = [
  // Authorization: Bearer xyz / authorization=xyz (header dumps, JSON, echoed requests).
  [/(\bauthorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token)\s+)?[^\s"',;}]+/gi, `$1$2 ${REDACTED}`],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, `$1${REDACTED}@`],
  [/\bsk-[A-Za-z0-9_-]{6,}/g, `sk-${REDACTED}`],
  [/\bhf_[A-Za-z0-9]{6,}/g, `hf_${REDACTED}`],
  [/(\b(?:api[_-]?key|access[_-]?token|token|password|secret)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, `$1${REDACTED}`],
];

/** `text` with every secret replaced by "[redacted]". */
export function redactSecrets(text: string, knownSecrets: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (!secret || secret.length < MIN_LITERAL) continue;
    out = out.split(secret).join(REDACTED);
    // A URL-encoded copy (a key in a query string or a URL's user info).
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out.replace(/ {2}\[redacted\]/g, ` ${REDACTED}`);
}

/** A URL safe to show: credentials dropped (https://user:pw@host/x -> https://[redacted]@host/x). */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/** Server-supplied text, shortened: an error page must not flood a notification or the log. */
export function capLength(text: string, max = 500): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** Both: what any message built from a server's answer goes through. */
export function safeServerText(
  text: string,
  knownSecrets: readonly (string | null | undefined)[] = [],
  max = 500,
): string {
  return capLength(redactSecrets(text, knownSecrets), max);
}
