/**
 * Apply from chat, the decision: which lines of the file a code block replaces. The remembered
 * selection of the question first (found again when the file changed), else the fuzzy match of the
 * block, else ask the user (with the reason when the remembered selection is gone).
 */
import * as z from "zod";
import { extractRewrite, splitLines } from "./extract";
import { locateSelection, matchBlock } from "./locate";
import type { LineRange, SymbolInfo } from "./range";

/** What the chat hands to the apply command (validated: it crosses the command boundary). */
export const ApplyCodeBlockArgsSchema = z
  .object({
    code: z.string().max(2_000_000),
    language: z.string().max(64).nullable(),
    /** The selection the question was about: path as shown to the model, 1-based lines, its text. */
    selection: z
      .object({
        path: z.string().min(1).max(4000),
        startLine: z.number().int().min(1),
        endLine: z.number().int().min(1),
        content: z.string(),
      })
      .strict()
      .nullable(),
    /** The text editor the user last worked in (focus is in the chat when Apply is pressed). */
    editorUri: z.string().max(4000).nullable(),
  })
  .strict();
export type ApplyCodeBlockArgs = z.infer<typeof ApplyCodeBlockArgsSchema>;

export type ApplyTarget =
  | { kind: "range"; range: LineRange; label: string; source: "selection" | "symbol" | "lines"; note: string | null }
  | { kind: "ask"; reason: string | null };

/** The block's lines (a fenced block's body when the code still has its fence). */
export function blockLines(code: string): string[] {
  const lines = extractRewrite(code.replace(/\r?\n$/, ""), true) ?? [];
  return lines.length > 0 ? lines : splitLines(code.replace(/\r?\n$/, ""));
}

/**
 * Where `block` goes in `lines`. `selection` is the remembered selection when the question was
 * about this file (1-based lines as stored with the exchange).
 */
export function chooseApplyTarget(input: {
  block: readonly string[];
  lines: readonly string[];
  symbols: readonly SymbolInfo[];
  selection: { startLine: number; endLine: number; content: string } | null;
}): ApplyTarget {
  let reason: string | null = null;
  if (input.selection) {
    const { startLine, endLine, content } = input.selection;
    const found = locateSelection(content, { startLine: startLine - 1, endLine: endLine - 1 }, input.lines);
    if (found.ok) {
      const span = `lines ${found.range.startLine + 1}-${found.range.endLine + 1}`;
      return {
        kind: "range",
        range: found.range,
        label: `the selection (${span})`,
        source: "selection",
        note: found.moved ? `The selection moved to ${span} since the answer.` : null,
      };
    }
    reason = found.reason;
  }
  const match = matchBlock(input.block, input.lines, input.symbols);
  if (match)
    return {
      kind: "range",
      range: match.range,
      label: match.label,
      source: match.source,
      note: reason ? `${capitalize(reason)}; applying to the closest match (${match.label}) instead.` : null,
    };
  return { kind: "ask", reason };
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
