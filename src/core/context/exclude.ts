/**
 * Which files no context source may read (`localCode.context.exclude`): the completion ring, the
 * clipboard chunk, definitions, chat chips and search. With a remote backend, what is read leaves
 * the machine, so a secret file must never be read at all. Globs are matched with picomatch, the
 * maintained matcher micromatch and chokidar use, rather than a hand-written one.
 */
import picomatch from "picomatch";
import * as z from "zod";

/**
 * Key files, env files and the usual secret folders. A pattern without "/" matches the file name at
 * any depth (as in .gitignore); "**" patterns match folders anywhere.
 */
export const DEFAULT_CONTEXT_EXCLUDE: readonly string[] = [
  ".env",
  ".env.*",
  "*.env",
  ".envrc",
  "*.pem",
  "*.key",
  "*.p12",
  "*.pfx",
  "*.keystore",
  "*.jks",
  "id_rsa*",
  "id_dsa*",
  "id_ecdsa*",
  "id_ed25519*",
  ".npmrc",
  ".pypirc",
  ".netrc",
  "*.tfstate",
  "credentials.json",
  "**/.ssh/**",
  "**/.gnupg/**",
  "**/.aws/**",
  "**/secrets/**",
  "**/.secrets/**",
  "**/private_keys/**",
];

export const DEFAULT_SEARCH_TOKENS = 1536;

export const ContextSettingsSchema = z.object({
  exclude: z
    .array(z.string().trim().min(1, "an empty glob matches nothing; remove it"))
    .default([...DEFAULT_CONTEXT_EXCLUDE]),
  /** Token budget for the snippets of one `@workspace` search in the chat. */
  searchTokens: z.number().int().min(100).max(16384).default(DEFAULT_SEARCH_TOKENS),
});
export type ContextSettings = z.infer<typeof ContextSettingsSchema>;

/** True when a path must not be read into any prompt. */
export type ExcludeMatcher = (path: string) => boolean;

/** Normalises a path for matching: forward slashes, no leading "./", no "file://" scheme. */
function normalize(path: string): string {
  let p = path.replace(/\\/g, "/");
  if (p.startsWith("file://")) p = decodeURIComponent(p.slice("file://".length));
  while (p.startsWith("./")) p = p.slice(2);
  return p;
}

/**
 * A matcher for the given globs. Matched case-insensitively (a `.ENV` on Windows or macOS is the
 * same file) and against dot files too. A glob picomatch cannot compile is skipped and reported in
 * `invalid`, so one bad glob costs that glob only.
 */
export function excludeMatcher(globs: readonly string[]): { matches: ExcludeMatcher; invalid: string[] } {
  const invalid: string[] = [];
  const tests: ((p: string) => boolean)[] = [];
  for (const glob of globs) {
    try {
      tests.push(picomatch(normalize(glob), { dot: true, basename: !glob.includes("/"), nocase: true }));
    } catch {
      invalid.push(glob);
    }
  }
  return {
    matches: (path) => {
      const p = normalize(path);
      if (p === "") return false;
      // Relative and absolute paths alike: "**/" patterns must also match from the root of an absolute path.
      const candidates = p.startsWith("/") ? [p, p.slice(1)] : [p];
      return candidates.some((c) => tests.some((t) => t(c)));
    },
    invalid,
  };
}

/** The chat's words for a refused attachment. */
export function excludedMessage(path: string): string {
  return `${path} was not attached: it matches localCode.context.exclude (files that may hold secrets are never read into a prompt).`;
}
