/** The Problems list (diagnostics) as chat context: one line per problem, errors first, bounded. */

export type ProblemSeverity = "error" | "warning" | "info" | "hint";

export interface Problem {
  /** Workspace-relative path. */
  path: string;
  /** 1-based. */
  line: number;
  column: number;
  severity: ProblemSeverity;
  message: string;
  /** The tool that reported it (e.g. "ts", "eslint"), with its code when there is one. */
  source?: string | null;
  code?: string | number | null;
}

const ORDER: Record<ProblemSeverity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/**
 * One line per problem ("path:line:col severity message [source code]"), errors first, then by
 * path and line; hints are left out (they are editor suggestions, not problems). At most `max` lines,
 * with a last line saying how many were left out.
 */
export function formatProblems(problems: readonly Problem[], max = 200): { text: string; count: number } {
  const shown = problems
    .filter((p) => p.severity !== "hint")
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.path.localeCompare(b.path) || a.line - b.line);
  const lines = shown.slice(0, max).map((p) => {
    const origin = [p.source, p.code].filter((x) => x !== null && x !== undefined && x !== "").join(" ");
    const message = p.message.replace(/\s*\n\s*/g, " ").trim();
    return `${p.path}:${p.line}:${p.column} ${p.severity} ${message}${origin ? ` [${origin}]` : ""}`;
  });
  if (shown.length > max) lines.push(`(${shown.length - max} more not shown)`);
  return { text: lines.length > 0 ? lines.join("\n") : "No problems.", count: shown.length };
}
