/**
 * The edit prompt: the range to rewrite, the code around it as read-only context (as much as the
 * context window leaves room for, nearest lines first), the language, the file path and the
 * editor's indentation. A range that cannot fit with room for its rewrite is refused with a clear
 * message: it is never cut silently.
 */
import { fenceFor } from "../chat/promptFormat";
import type { ChatMessage } from "../protocol/workerProtocol";
import type { LineRange } from "./range";

export interface EditPromptInput {
  instruction: string;
  /** Workspace-relative path or file name. */
  path: string;
  languageId: string;
  indentation: { insertSpaces: boolean; tabSize: number };
  /** The whole document's lines. */
  lines: readonly string[];
  range: LineRange;
}

export interface EditPlan {
  messages: ChatMessage[];
  /** Tokens the answer may use (the rewrite plus its fence). */
  maxTokens: number;
  /** Lines of context given before and after the range. */
  contextBefore: number;
  contextAfter: number;
}

export class EditTooLongError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EditTooLongError";
  }
}

export type CountTokens = (text: string, signal?: AbortSignal) => Promise<number>;

export const EDIT_SYSTEM_PROMPT =
  "You edit code. Rewrite only the code you are given, following the instruction. Reply with the complete rewritten code in one fenced code block and nothing else: no explanation, no lines from the read-only context.";

function indentationText(indentation: EditPromptInput["indentation"]): string {
  return indentation.insertSpaces ? `${indentation.tabSize} spaces` : "tabs";
}

const block = (language: string, lines: readonly string[]): string => {
  const text = lines.join("\n");
  const fence = fenceFor(text);
  return `${fence}${language}\n${text}\n${fence}`;
};

/** The user message for a given amount of context around the range. */
export function editUserMessage(input: EditPromptInput, before: number, after: number): string {
  const { range, lines, languageId } = input;
  const target = lines.slice(range.startLine, range.endLine + 1);
  const parts = [`File: ${input.path} (${languageId}), indentation: ${indentationText(input.indentation)}.`];
  if (before > 0)
    parts.push(
      `Code before the range (read-only, do not repeat it):\n${block(languageId, lines.slice(range.startLine - before, range.startLine))}`,
    );
  if (after > 0)
    parts.push(
      `Code after the range (read-only, do not repeat it):\n${block(languageId, lines.slice(range.endLine + 1, range.endLine + 1 + after))}`,
    );
  const span =
    range.startLine === range.endLine
      ? `line ${range.startLine + 1}`
      : `lines ${range.startLine + 1}-${range.endLine + 1}`;
  parts.push(`Rewrite this code (${span}):\n${block(languageId, target)}`);
  parts.push(`Instruction: ${input.instruction.trim()}`);
  return parts.join("\n\n");
}

const messagesFor = (input: EditPromptInput, before: number, after: number): ChatMessage[] => [
  { role: "system", content: EDIT_SYSTEM_PROMPT },
  { role: "user", content: editUserMessage(input, before, after) },
];

/** Room for the answer: the rewrite may grow (comments, docs), plus the fence. */
export function answerTokensFor(targetTokens: number): number {
  return Math.ceil(targetTokens * 1.5) + 64;
}

/** Per-message overhead of chat templates (role headers, separators). */
const TEMPLATE_SLACK = 32;

/**
 * The messages and answer budget for an edit, fitting `contextSize`. Context lines are added
 * nearest first, up to 3/4 of the spare room before the range and the rest after it.
 */
export async function planEditPrompt(
  input: EditPromptInput,
  options: { contextSize: number; count: CountTokens; signal?: AbortSignal; maxContextLines?: number },
): Promise<EditPlan> {
  const { count, signal, contextSize } = options;
  const { range, lines } = input;
  const total = async (before: number, after: number) =>
    (await Promise.all(messagesFor(input, before, after).map((m) => count(m.content, signal)))).reduce(
      (a, b) => a + b,
      0,
    ) +
    TEMPLATE_SLACK * 2;
  const targetText = lines.slice(range.startLine, range.endLine + 1).join("\n");
  const targetTokens = await count(targetText, signal);
  const maxTokens = answerTokensFor(targetTokens);
  const bare = await total(0, 0);
  if (bare + maxTokens > contextSize) {
    const lineCount = range.endLine - range.startLine + 1;
    throw new EditTooLongError(
      `The code to edit is too long for the chat model: ${lineCount} lines (${targetTokens} tokens) need about ${bare + maxTokens} tokens with the prompt and the rewrite, but the context window is ${contextSize}. Select a smaller range, or raise localCode.chat.contextSize.`,
    );
  }
  const spare = contextSize - bare - maxTokens;
  const charsPerToken = Math.max(1, targetText.length / Math.max(1, targetTokens));
  const cap = options.maxContextLines ?? 200;
  const take = (available: readonly string[], budgetTokens: number, fromEnd: boolean): number => {
    let chars = 0;
    let n = 0;
    while (n < Math.min(cap, available.length)) {
      const line = fromEnd ? available[available.length - 1 - n]! : available[n]!;
      chars += line.length + 1;
      if (chars / charsPerToken > budgetTokens) break;
      n++;
    }
    return n;
  };
  let before = take(lines.slice(0, range.startLine), (spare * 3) / 4, true);
  const beforeTokens = lines.slice(range.startLine - before, range.startLine).join("\n").length / charsPerToken;
  // What the code before did not use goes to the code after.
  let after = take(lines.slice(range.endLine + 1), spare - beforeTokens, false);
  // The estimate uses the range's characters per token; halve the context until the count fits.
  for (let tries = 0; tries < 6 && (before > 0 || after > 0); tries++) {
    signal?.throwIfAborted();
    if ((await total(before, after)) + maxTokens <= contextSize) break;
    before = Math.floor(before / 2);
    after = Math.floor(after / 2);
  }
  return { messages: messagesFor(input, before, after), maxTokens, contextBefore: before, contextAfter: after };
}
