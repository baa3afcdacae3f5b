/**
 * How the `@workspace` search talks to ripgrep: where VS Code keeps its copy, the arguments, and the
 * `rg --json` lines it reads (checked with zod: the process's output is a boundary).
 */
import * as path from "node:path";
import * as z from "zod";
import { CONTEXT_LINES } from "./workspaceSearch";

/** Per file: at most this many matches; larger files are skipped. */
export const RG_MAX_MATCHES_PER_FILE = 30;
export const RG_MAX_FILE_BYTES = 1024 * 1024;

/**
 * Where VS Code keeps its ripgrep: `@vscode/ripgrep/bin/rg` (older builds) or
 * `@vscode/ripgrep-universal/bin/<os>-<arch>/rg` (newer ones, code-server 4.139 included), under
 * `node_modules` or, in the desktop app, `node_modules.asar.unpacked`.
 */
export function ripgrepCandidates(appRoot: string, platform: string, arch: string): string[] {
  const exe = platform === "win32" ? "rg.exe" : "rg";
  return ["node_modules", "node_modules.asar.unpacked"].flatMap((modules) => [
    path.join(appRoot, modules, "@vscode", "ripgrep", "bin", exe),
    path.join(appRoot, modules, "@vscode", "ripgrep-universal", "bin", `${platform}-${arch}`, exe),
  ]);
}

/**
 * The arguments for one folder (rg runs in it and searches it: paths come back relative to it).
 * Fixed strings, case-insensitive, any of the keywords; `.gitignore` honoured even outside a git
 * repository; `files.exclude` as negative globs and the context exclude as case-insensitive ones.
 */
export function ripgrepArgs(
  keywords: readonly string[],
  excludeGlobs: readonly string[],
  filesExclude: readonly string[] = [],
): string[] {
  return [
    "--json",
    "--fixed-strings",
    "--ignore-case",
    "--context",
    String(CONTEXT_LINES),
    "--max-count",
    String(RG_MAX_MATCHES_PER_FILE),
    "--max-filesize",
    String(RG_MAX_FILE_BYTES),
    "--no-config",
    "--no-require-git",
    ...filesExclude.flatMap((glob) => ["--glob", `!${glob}`]),
    ...excludeGlobs.flatMap((glob) => ["--iglob", `!${glob}`]),
    // "-e" per keyword: a keyword starting with "-" is not taken for an option.
    ...keywords.flatMap((k) => ["-e", k]),
  ];
}

/** The lines of `rg --json` that matter; begin, end, summary and non-UTF-8 (`bytes`) lines do not parse. */
const RgLineSchema = z.object({
  type: z.enum(["match", "context"]),
  data: z.object({
    path: z.object({ text: z.string() }),
    lines: z.object({ text: z.string() }),
    line_number: z.number().int().min(1),
  }),
});

export interface RgLine {
  /** Relative to the folder rg ran in, forward slashes. */
  path: string;
  line: number;
  text: string;
  match: boolean;
}

/** One line of `rg --json` output; null for anything but a match or context line. */
export function parseRgLine(raw: string): RgLine | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = RgLineSchema.safeParse(json);
  if (!parsed.success) return null;
  const { data, type } = parsed.data;
  return {
    path: data.path.text.replace(/\\/g, "/").replace(/^\.\//, ""),
    line: data.line_number,
    text: data.lines.text.replace(/\r?\n$/, ""),
    match: type === "match",
  };
}
