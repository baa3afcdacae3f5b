/**
 * A realistic editing trace for the inline completion benchmark: real JavaScript source of a
 * pinned dependency (node-llama-cpp 3.22.1's LlamaCompletion.js, ~500 lines, so the text never
 * drifts with this repo's own edits), with the user writing one line inside a function body.
 *
 *   cold       `        return contextShiftSize|`     (a fresh prompt: nothing of it in the KV cache)
 *   typedChar  `        return contextShiftSize;|`    (one character typed after a completed suggestion)
 *   newLine    `        return contextShiftSize;`
 *              `        |`                            (Enter, with the editor's auto-indentation)
 *
 * The line being written replaces the file's own line there; everything after it stays in the
 * suffix (~340 tokens to the end of the file); the benchmark gives the window ~1410 prefix tokens.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DocumentSnapshot } from "../../src/core/completion";

export type TraceStepName = "cold" | "typedChar" | "newLine";
export const TRACE_STEPS: readonly TraceStepName[] = ["cold", "typedChar", "newLine"];

export interface TraceStep {
  name: TraceStepName;
  /** LF text before / after the cursor. */
  prefix: string;
  suffix: string;
}

export interface EditingTrace {
  /** Where the text comes from (repo-relative). */
  source: string;
  languageId: string;
  /** The file's size, for the record. */
  lines: number;
  chars: number;
  /** 1-based line number of the line being written. */
  cursorLine: number;
  steps: Record<TraceStepName, TraceStep>;
  /**
   * A plausible suggestion at the newLine position; the cache benchmark seeds it and types it out
   * character by character (typed-ahead hits), independent of what the noise model produced.
   */
  typedAheadSuggestion: string;
  /** The whole text (for calibrating the token counter). */
  text: string;
}

/**
 * The trace's document at a place, as the editor's adapter snapshots it, under a given file path
 * (benchmarks use a fresh path for a prompt that nothing in the KV cache shares).
 */
export function traceDocument(
  trace: Pick<EditingTrace, "languageId">,
  filePath: string,
  place: { prefix: string; suffix: string },
): DocumentSnapshot & { prefix: string; suffix: string } {
  return {
    uri: `file:///work/${filePath}`,
    path: filePath,
    languageId: trace.languageId,
    eol: "\n",
    indent: { useTabs: false, size: 4 },
    prefix: place.prefix,
    suffix: place.suffix,
  };
}

export const TRACE_SOURCE = "node_modules/node-llama-cpp/dist/evaluator/LlamaCompletion.js";

export function editingTrace(repoRoot: string): EditingTrace {
  const text = fs.readFileSync(path.join(repoRoot, TRACE_SOURCE), "utf8").replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  const fn = lines.findIndex((l) => l.startsWith("async function resolveContextShiftSize("));
  const at = fn < 0 ? -1 : lines.findIndex((l, i) => i > fn && l.trim() === "return contextShiftSize;");
  if (at < 0)
    throw new Error(`${TRACE_SOURCE}: the trace's cursor line was not found (node-llama-cpp version changed?)`);
  const line = lines[at];
  const indent = /^\s*/.exec(line)![0];
  const before = lines.slice(0, at).join("\n") + "\n";
  const after = "\n" + lines.slice(at + 1).join("\n");
  const steps: Record<TraceStepName, TraceStep> = {
    cold: { name: "cold", prefix: before + line.slice(0, -1), suffix: after },
    typedChar: { name: "typedChar", prefix: before + line, suffix: after },
    newLine: { name: "newLine", prefix: before + line + "\n" + indent, suffix: after },
  };
  return {
    source: TRACE_SOURCE,
    languageId: "javascript",
    lines: lines.length,
    chars: text.length,
    cursorLine: at + 1,
    steps,
    typedAheadSuggestion: `if (contextShiftSize == null)\n${indent}    return defaultContextShiftSize(sequence);`,
    text,
  };
}
