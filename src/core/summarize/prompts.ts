/**
 * The words of every summary prompt: the map step (one part), the intermediate combine step, and
 * the final exchange shown in the chat (title, question bubble, prompt, attached context).
 */
import { fenceFor } from "../chat/promptFormat";
import type { ContextInput } from "../chat/types";

/** What the user asked for: a summary, or an explanation of how the code works. */
export type SummaryTask = "summarize" | "explain";

/** The text to summarise and where it comes from. */
export interface SummarySource {
  task: SummaryTask;
  text: string;
  /** Workspace-relative path (or file name) shown to the user and the model. */
  path: string;
  languageId?: string | null;
  /** 1-based line in the file of the first line of `text`. */
  startLine: number;
  /** True when nothing was selected and `text` is the whole file. */
  wholeFile: boolean;
}

/** A stretch of lines of the file (1-based, inclusive). */
export interface LineSpan {
  startLine: number;
  endLine: number;
}

/** One part's (or one group of parts') summary, ready to be combined. */
export interface PartSummary extends LineSpan {
  text: string;
}

/** A chat exchange: structurally the chat view's `ExchangeRequest`. */
export interface SummaryExchange {
  title: string;
  prompt: string;
  display: string;
  context: ContextInput[];
}

export const MAP_SYSTEM_PROMPT =
  "You summarize source code for a developer. Be brief and factual; never invent code that is not shown.";

export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

export function formatLines(span: LineSpan): string {
  return span.startLine === span.endLine ? `line ${span.startLine}` : `lines ${span.startLine}-${span.endLine}`;
}

/** "main.ts:10-20" */
export function spanLabel(path: string, span: LineSpan): string {
  const name = fileName(path);
  return span.startLine === span.endLine ? `${name}:${span.startLine}` : `${name}:${span.startLine}-${span.endLine}`;
}

function language(languageId: string | null | undefined): string {
  return (languageId ?? "").replace(/[^A-Za-z0-9_+#.-]/g, "");
}

function fenced(content: string, languageId: string | null | undefined): string {
  const fence = fenceFor(content);
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `${fence}${language(languageId)}\n${body}${fence}`;
}

const MAP_INSTRUCTION: Record<SummaryTask, string> = {
  summarize:
    "Summarize this part in a few sentences: what it defines and what it does. Name the important functions, types and variables. Plain sentences, no code. No preamble.",
  explain:
    "Explain briefly what this part does and how: its key functions, data and control flow. Name the identifiers. Plain sentences, no code. No preamble.",
};

/** The user message of one map call. */
export function mapUserPrompt(
  source: Pick<SummarySource, "path" | "languageId" | "task">,
  part: LineSpan & { index: number; total: number; text: string },
): string {
  return (
    `Part ${part.index} of ${part.total} of ${source.path} (${formatLines(part)}):\n` +
    `${fenced(part.text, source.languageId)}\n\n${MAP_INSTRUCTION[source.task]}`
  );
}

/** One summary as it appears in a combine prompt or in the final exchange's context. */
export function partBlock(summary: PartSummary): string {
  const text = summary.text.trim() || "(The model wrote nothing for this part.)";
  return `Summary of ${formatLines(summary)}:\n${text}`;
}

export function partBlocks(summaries: readonly PartSummary[]): string {
  return summaries.map(partBlock).join("\n\n");
}

/** The user message of an intermediate combine call (when the part summaries do not fit at once). */
export function combineUserPrompt(
  source: Pick<SummarySource, "path" | "task">,
  summaries: readonly PartSummary[],
): string {
  const span = { startLine: summaries[0]!.startLine, endLine: summaries[summaries.length - 1]!.endLine };
  const what = source.task === "explain" ? "explanation of what they do" : "summary";
  return (
    `Summaries of consecutive parts of ${source.path} (${formatLines(span)}):\n\n${partBlocks(summaries)}\n\n` +
    `Combine them into one concise ${what} of ${formatLines(span)}, keeping the important names. No preamble.`
  );
}

function scope(source: SummarySource): string {
  return source.wholeFile ? "file" : "selection";
}

/**
 * The final question when the whole input fits in one prompt (the code is attached as context).
 * `names` (declaredNames) are spelled out where the question asks for the main functions:
 * SmolLM2-135M described "a function to parse the file" without naming parseLineRange until the
 * question named it, and named neither file's function with the names in a separate sentence
 * ("It defines X: name the main ones."); in parentheses it named both (docs/real-models.md).
 */
export function singlePrompt(source: SummarySource, span: LineSpan, names: readonly string[] = []): string {
  const where = `${source.path}, ${formatLines(span)}`;
  const list = names.length > 0 ? ` (${names.join(", ")})` : "";
  return source.task === "explain"
    ? `Explain what the code above (${where}) does and how it works${list ? `, with its key functions${list}` : ""}, step by step where that helps. Be clear and concise.`
    : `Summarize the code above (${where}): its purpose, the main functions or types${list}, and how they work together. Be concise.`;
}

/**
 * The final question after the map step (the part summaries are attached as context). `names` are
 * the declarations of the whole text (declaredNames): kept between parts, so the answer can name
 * the main function even when a part summary did not; plain sentences, because a small model asked
 * for Markdown over summaries wrote empty code fences.
 */
export function combinedPrompt(
  source: SummarySource,
  span: LineSpan,
  parts: number,
  names: readonly string[] = [],
): string {
  const intro =
    `Above are ${source.task === "explain" ? "explanations" : "summaries"} of the ${parts} consecutive parts of ${source.path} ` +
    `(${formatLines(span)}), which is too long to read at once.`;
  const defines = names.length > 0 ? ` It defines ${names.join(", ")}: name the main ones.` : "";
  return source.task === "explain"
    ? `${intro}${defines} Using them, explain what the whole ${scope(source)} does and how its parts work together, in plain sentences. Be clear and concise.`
    : `${intro}${defines} Using them, write one summary of the whole ${scope(source)} in plain sentences: its purpose, the main pieces, and how they fit together. Be concise.`;
}

/** What the question bubble shows. */
export function displayText(source: SummarySource, span: LineSpan, parts: number, notes: readonly string[]): string {
  const verb = source.task === "explain" ? "Explain" : "Summarize";
  const what = source.wholeFile
    ? `${fileName(source.path)} (whole file, ${formatLines(span)}: nothing was selected)`
    : spanLabel(source.path, span);
  const how = parts > 1 ? ` — read in ${parts} parts` : "";
  const noteLines = notes.map((note) => `\nNote: ${note}`).join("");
  return `${verb} ${what}${how}${noteLines}`;
}

export function titleText(source: SummarySource, span: LineSpan): string {
  const noun = source.task === "explain" ? "Explanation" : "Summary";
  return source.wholeFile
    ? `${noun} of ${fileName(source.path)} (whole file)`
    : `${noun} of ${spanLabel(source.path, span)}`;
}

/** The attached code when everything fits in one prompt. */
export function sourceContext(source: SummarySource, span: LineSpan): ContextInput {
  return {
    kind: source.wholeFile ? "file" : "selection",
    label: spanLabel(source.path, span),
    path: source.path,
    languageId: source.languageId ?? null,
    range: { startLine: span.startLine, endLine: span.endLine },
    content: source.text,
  };
}

/** The attached part summaries after the map step (kept for follow-up questions). */
export function summariesContext(
  source: SummarySource,
  span: LineSpan,
  summaries: readonly PartSummary[],
): ContextInput {
  return {
    kind: "snippet",
    label: `Part summaries of ${spanLabel(source.path, span)}`,
    path: source.path,
    languageId: "markdown",
    range: { startLine: span.startLine, endLine: span.endLine },
    content: partBlocks(summaries),
  };
}

/** The sentence that tells the model (and the user) what was left out. */
export function omissionNote(omitted: readonly LineSpan[], reason: string): string {
  const spans = omitted.map(formatLines).join(", ");
  return `${spans.charAt(0).toUpperCase()}${spans.slice(1)} ${omitted.length === 1 && omitted[0]!.startLine === omitted[0]!.endLine ? "was" : "were"} left out: ${reason}`;
}

/** Appended to the final prompt so the answer itself says what it does not cover (short: it costs tokens). */
export function omissionInstruction(source: Pick<SummarySource, "wholeFile">, omitted: readonly LineSpan[]): string {
  if (omitted.length === 0) {
    return "";
  }
  const spans = omitted.map(formatLines).join(", ");
  return `\n\nImportant: ${spans} of the ${source.wholeFile ? "file" : "selection"} could not be read (too long). Say so at the start of your answer.`;
}
