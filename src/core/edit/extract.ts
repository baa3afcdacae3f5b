/**
 * The rewritten code inside a model's answer: the first fenced block (its content so far while
 * streaming), else the whole answer when it does not look like prose. Also puts back the range's
 * indentation when a model answered with the code flush left.
 */

/** One line ending: the document's lines are compared without them. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

const FENCE_OPEN = /^[ \t]*(`{3,}|~{3,})[^\n]*$/;

/**
 * The code in an answer as lines, or null when there is none yet. While streaming (`final`
 * false) only complete lines count: the last line may still grow.
 */
export function extractRewrite(answer: string, final: boolean): string[] | null {
  const lines = splitLines(answer);
  const found = firstFence(lines);
  let body: string[];
  let complete = final;
  if (found) {
    const { openAt, closeAt } = found;
    if (closeAt >= 0) {
      body = lines.slice(openAt + 1, closeAt);
      complete = true;
    } else {
      body = lines.slice(openAt + 1);
    }
  } else {
    // No fence: plain code, unless it opens with prose ("Here is the code:") before a fence to come.
    const first = lines.find((l) => l.trim() !== "");
    if (first === undefined) return final ? [] : null;
    if (!final && /[:.]\s*$/.test(first) && !/[;{}()]/.test(first)) return null;
    body = lines;
    while (body.length > 0 && body[0]!.trim() === "") body = body.slice(1);
    while (final && body.length > 0 && body.at(-1)!.trim() === "") body = body.slice(0, -1);
  }
  if (!complete) body = body.slice(0, -1);
  return body;
}

/** True once the answer's first code fence has closed: nothing after it is part of the rewrite. */
export function rewriteComplete(answer: string): boolean {
  const lines = splitLines(answer);
  const found = firstFence(lines);
  return found !== null && found.closeAt >= 0 && found.closeAt < lines.length - 1;
}

/** The answer's first code fence: the line that opens it and the line that closes it (-1: not yet). */
function firstFence(lines: readonly string[]): { openAt: number; closeAt: number } | null {
  const openAt = lines.findIndex((l) => FENCE_OPEN.test(l));
  if (openAt < 0) return null;
  const fence = FENCE_OPEN.exec(lines[openAt]!)![1]!;
  return { openAt, closeAt: lines.findIndex((l, i) => i > openAt && isClosing(l, fence)) };
}

const isClosing = (line: string, fence: string): boolean => {
  const t = line.trim();
  return t.startsWith(fence) && /^[`~]+$/.test(t) && t[0] === fence[0];
};

const indentOf = (line: string): string => /^[ \t]*/.exec(line)![0];

function commonIndent(lines: readonly string[]): string {
  const indents = lines.filter((l) => l.trim() !== "").map(indentOf);
  if (indents.length === 0) return "";
  return indents.reduce((a, b) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return a.slice(0, i);
  });
}

/**
 * When the range is indented and the rewrite starts at column 0 everywhere, indent the rewrite
 * by the range's common indentation (small models often drop it).
 */
export function restoreIndentation(original: readonly string[], rewrite: readonly string[]): string[] {
  const base = commonIndent(original);
  if (base === "" || commonIndent(rewrite) !== "") return [...rewrite];
  return rewrite.map((l) => (l.trim() === "" ? l : base + l));
}

/** Lines of the edit prompt itself (prompt.ts): an answer that holds them repeated the prompt. */
const PROMPT_ECHOES = ["(read-only, do not repeat it):", "Rewrite this code (line", "Instruction: "];

/** Offset just past the line that closes the answer's first code fence, or -1 when none closes. */
function firstFenceEnd(answer: string): number {
  const lines = splitLines(answer);
  const closeAt = firstFence(lines)?.closeAt ?? -1;
  if (closeAt < 0) return -1;
  return lines.slice(0, closeAt + 1).reduce((n, l) => n + l.length + 1, 0);
}

/**
 * Why a finished answer must not be offered as a rewrite, or null when it may be. Seen on the real
 * models (docs/edits.md): Gemma 3 270M, a base model, writes the edit prompt back (its read-only
 * context block came out as "the rewrite" and the review proposed deleting the whole function),
 * and an answer cut at its token limit would propose deleting the rest of the range. Prose after
 * a complete code block is harmless (SmolLM2 repeats the instruction there).
 */
export function unusableRewrite(
  answer: string,
  stopReason: string,
  model: { hasChatTemplate?: boolean },
): string | null {
  const end = firstFenceEnd(answer);
  const beforeCode = end < 0 ? answer : answer.slice(0, end);
  if (PROMPT_ECHOES.some((echo) => beforeCode.includes(echo)))
    return (
      "the model repeated the prompt instead of rewriting the code" +
      (model.hasChatTemplate === false
        ? ": it has no chat template (a base model, not instruction-tuned). Edits need an instruct (chat) model."
        : ". Try a shorter instruction or a larger model.")
    );
  if (stopReason === "maxTokens" && end < 0)
    return "the answer reached its token limit before the code was complete, so nothing is proposed. Select less code, or raise localCode.chat.contextSize.";
  return null;
}
