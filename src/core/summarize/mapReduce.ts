/**
 * Summaries of text of any length. Input that fits the chat model's window becomes one chat
 * exchange with the code attached. Longer input is split on structural boundaries (chunker.ts),
 * each part is summarised (map), the part summaries are combined, in rounds if they do not fit at
 * once (reduce), and the final exchange carries them as context. Nothing is dropped silently:
 * anything left out is named in `notes`, in the question shown, and in the prompt.
 *
 * The extension hands the final exchange to the chat view (which streams it and keeps it for
 * follow-up questions); the CLI and the tests run it through `summarize`, which builds the same
 * messages with the chat's own `planPrompt`.
 */
import { MESSAGE_OVERHEAD_TOKENS, planPrompt } from "../chat/budget";
import { formatQuestion, truncateMiddle } from "../chat/promptFormat";
import type { ContextInput, ContextItem } from "../chat/types";
import type { ChatMessage, StopReason } from "../engine/types";
import { FENCE_SLACK_TOKENS, finalQuestionBudget, mapAnswerTokens, safetyMargin, type FinalSettings } from "./budget";
import { chunkText, splitLines, type TokenCountFn } from "./chunker";
import { declaredNames } from "./declarations";
import {
  MAP_SYSTEM_PROMPT,
  combineUserPrompt,
  combinedPrompt,
  displayText,
  mapUserPrompt,
  omissionInstruction,
  omissionNote,
  singlePrompt,
  sourceContext,
  summariesContext,
  titleText,
  type LineSpan,
  type PartSummary,
  type SummaryExchange,
  type SummarySource,
} from "./prompts";

export type { FinalSettings } from "./budget";
export type { LineSpan, PartSummary, SummaryExchange, SummarySource, SummaryTask } from "./prompts";

/** At most this many parts are read by default (more would take very long on a CPU). */
export const DEFAULT_MAX_PARTS = 64;

/** A problem the user can act on (nothing to summarise, a window too small). */
export class SummaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SummaryError";
  }
}

export type CallPurpose = "map" | "combine" | "final";

export interface SummaryGenerateRequest {
  purpose: CallPurpose;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
}

export interface SummaryGeneration {
  text: string;
  stopReason: StopReason;
  promptTokens?: number;
  generatedTokens?: number;
}

/** One model call (the engine's `generate` on the chat slot, or a test double). */
export type SummaryGenerateFn = (
  request: SummaryGenerateRequest,
  options: { signal?: AbortSignal; onChunk?: (text: string) => void },
) => Promise<SummaryGeneration>;

export type SummaryProgress =
  { phase: "map"; done: number; total: number } | { phase: "combine"; done: number; total: number };

export interface PlannedPart extends LineSpan {
  /** 1-based. */
  index: number;
  text: string;
  tokens: number;
}

export interface SummaryPlan {
  source: SummarySource;
  /** The lines of the file that the input covers. */
  span: LineSpan;
  contextSize: number;
  final: FinalSettings;
  /** "single": everything fits in the final exchange; "mapReduce": parts are summarised first. */
  mode: "single" | "mapReduce";
  /** The parts to summarise (empty in "single" mode). */
  parts: PlannedPart[];
  /** Lines not read at all (beyond `maxParts`). */
  omitted: LineSpan[];
  /** The declared names the final question spells out (none when they would not fit the window). */
  names: string[];
  /** Sentences for the user about anything left out or shortened. */
  notes: string[];
  /** Token budgets used (for logs and tests). */
  budgets: { margin: number; mapAnswerTokens: number; chunkTokens: number; finalQuestionTokens: number };
}

export interface PlanOptions {
  /** The loaded chat model's context size. */
  contextSize: number;
  final: FinalSettings;
  count: TokenCountFn;
  signal?: AbortSignal;
  maxParts?: number;
}

export interface CallRecord {
  purpose: CallPurpose;
  /** Prompt tokens as the engine reports them (or as counted here when it does not). */
  promptTokens: number;
  maxTokens: number;
  generatedTokens: number | null;
  stopReason: StopReason;
}

export interface PreparedSummary {
  plan: SummaryPlan;
  /** The exchange to start in the chat. */
  exchange: SummaryExchange;
  notes: string[];
  parts: number;
  mapCalls: number;
  combineCalls: number;
  calls: CallRecord[];
}

export interface RunOptions {
  generate: SummaryGenerateFn;
  count: TokenCountFn;
  signal?: AbortSignal;
  onProgress?: (progress: SummaryProgress) => void;
}

/** The lines of the file a text starting at `startLine` covers. */
export function spanOf(text: string, startLine: number): LineSpan {
  return { startLine, endLine: startLine + Math.max(1, splitLines(text).length) - 1 };
}

/** A context input as the chat controller stores it (id and token cost are not used by the planner). */
function toItem(input: ContextInput, index: number): ContextItem {
  return {
    id: `summary-${index}`,
    kind: input.kind,
    label: input.label,
    path: input.path ?? null,
    languageId: input.languageId ?? null,
    range: input.range ?? null,
    content: input.content,
    tokens: 0,
    approximate: true,
  };
}

function counter(count: TokenCountFn, signal: AbortSignal | undefined): (text: string) => Promise<number> {
  return async (text) => {
    signal?.throwIfAborted();
    const tokens = await count(text, signal);
    signal?.throwIfAborted();
    return tokens;
  };
}

/** Tokens the chat will count for a question with its attachments. */
async function questionTokens(
  exchange: Pick<SummaryExchange, "prompt" | "context">,
  count: (text: string) => Promise<number>,
): Promise<number> {
  return (await count(formatQuestion(exchange.prompt, exchange.context.map(toItem)))) + MESSAGE_OVERHEAD_TOKENS;
}

/**
 * Decide how to summarise: in one exchange, or in parts (and which). Counts tokens (a few calls,
 * plus one per part) but generates nothing.
 */
export async function planSummary(source: SummarySource, options: PlanOptions): Promise<SummaryPlan> {
  const count = counter(options.count, options.signal);
  const maxParts = Math.max(1, options.maxParts ?? DEFAULT_MAX_PARTS);
  const contextSize = options.contextSize;
  if (source.text.trim().length === 0) {
    throw new SummaryError(
      source.wholeFile ? "Nothing to summarize: the file is empty." : "Nothing to summarize: the selection is blank.",
    );
  }
  const span = spanOf(source.text, source.startLine);
  const margin = safetyMargin(contextSize);
  const mapAnswer = mapAnswerTokens(contextSize);
  const finalQuestionTokens = await finalQuestionBudget(contextSize, options.final, count);
  const base = { source, span, contextSize, final: options.final };
  const declared = declaredNames(source.text);

  const single = {
    prompt: singlePrompt(source, span, declared),
    context: [sourceContext(source, span)],
  };
  if ((await questionTokens(single, count)) <= finalQuestionTokens) {
    return {
      ...base,
      names: declared,
      mode: "single",
      parts: [],
      omitted: [],
      notes: [],
      budgets: { margin, mapAnswerTokens: mapAnswer, chunkTokens: 0, finalQuestionTokens },
    };
  }

  // The longest header a part can get: the most digits for part numbers and lines.
  const widest = { index: maxParts, total: maxParts, startLine: span.endLine, endLine: span.endLine, text: "" };
  const overhead =
    (await count(MAP_SYSTEM_PROMPT)) +
    MESSAGE_OVERHEAD_TOKENS +
    (await count(mapUserPrompt(source, widest))) +
    MESSAGE_OVERHEAD_TOKENS +
    FENCE_SLACK_TOKENS;
  const chunkTokens = contextSize - margin - mapAnswer - overhead;
  if (chunkTokens < 32) {
    throw new SummaryError(tooSmallMessage(contextSize, options.final.maxTokens));
  }
  const chunks = await chunkText(source.text, { maxTokens: chunkTokens, count: options.count, signal: options.signal });
  const kept = chunks.slice(0, maxParts);
  const toFile = (line: number) => line + source.startLine - 1;
  const parts = kept.map((chunk, i) => ({
    index: i + 1,
    text: chunk.text,
    tokens: chunk.tokens,
    startLine: toFile(chunk.startLine),
    endLine: toFile(chunk.endLine),
  }));
  const omitted: LineSpan[] = [];
  const notes: string[] = [];
  if (chunks.length > kept.length) {
    const first = chunks[kept.length]!;
    omitted.push({ startLine: toFile(first.startLine), endLine: span.endLine });
    notes.push(
      omissionNote(
        omitted,
        `the ${source.wholeFile ? "file" : "selection"} needs ${chunks.length} parts for the chat model's ${contextSize.toLocaleString("en-US")}-token ` +
          `context window and at most ${maxParts} are read. Select a smaller range to summarize the rest.`,
      ),
    );
  }
  // Fail now, not after the map step, when not even a short combined summary fits at the end. The
  // names are a hint: a small window drops them before it gives up.
  const fits = async (names: readonly string[]) =>
    (await questionTokens(
      {
        prompt: combinedPrompt(source, span, parts.length, names) + omissionInstruction(source, omitted),
        context: [summariesContext(source, span, [{ ...span, text: "" }])],
      },
      count,
    )) +
      MIN_SUMMARY_ROOM <=
    finalQuestionTokens;
  const names = (await fits(declared)) ? declared : [];
  if (names.length === 0 && !(await fits([]))) {
    throw new SummaryError(tooSmallMessage(contextSize, options.final.maxTokens));
  }
  return {
    ...base,
    names,
    mode: "mapReduce",
    parts,
    omitted,
    notes,
    budgets: { margin, mapAnswerTokens: mapAnswer, chunkTokens, finalQuestionTokens },
  };
}

/** Room the final prompt must leave for the (combined, perhaps shortened) summary. */
const MIN_SUMMARY_ROOM = 48;

function tooSmallMessage(contextSize: number, answerTokens: number): string {
  return (
    `The chat model's ${contextSize.toLocaleString("en-US")}-token context window is too small to summarize this in parts ` +
    `with ${answerTokens.toLocaleString("en-US")} tokens kept for the answer. Use a larger context size or a shorter answer length.`
  );
}

/**
 * Run the map and combine steps of a plan and build the final exchange (which is not generated
 * here). Calls `generate` one call at a time, in order; an aborted `signal` stops it between and
 * during calls (the returned promise rejects with the signal's reason).
 */
export async function runSummaryPlan(plan: SummaryPlan, options: RunOptions): Promise<PreparedSummary> {
  const { signal } = options;
  const count = counter(options.count, signal);
  const { source, span, contextSize } = plan;
  const notes = [...plan.notes];
  const calls: CallRecord[] = [];
  signal?.throwIfAborted();

  if (plan.mode === "single") {
    const exchange: SummaryExchange = {
      title: titleText(source, span),
      prompt: singlePrompt(source, span, plan.names),
      display: displayText(source, span, 1, notes),
      context: [sourceContext(source, span)],
    };
    return { plan, exchange, notes, parts: 1, mapCalls: 0, combineCalls: 0, calls };
  }

  const systemTokens = (await count(MAP_SYSTEM_PROMPT)) + MESSAGE_OVERHEAD_TOKENS;
  const limit = contextSize - plan.budgets.margin;
  const call = async (purpose: CallPurpose, user: string): Promise<string> => {
    const promptTokens = systemTokens + (await count(user)) + MESSAGE_OVERHEAD_TOKENS;
    const maxTokens = Math.max(1, Math.min(plan.budgets.mapAnswerTokens, limit - promptTokens));
    const messages: ChatMessage[] = [
      { role: "system", content: MAP_SYSTEM_PROMPT },
      { role: "user", content: user },
    ];
    const result = await options.generate({ purpose, messages, maxTokens, temperature: 0 }, { signal });
    signal?.throwIfAborted();
    calls.push({
      purpose,
      promptTokens: result.promptTokens ?? promptTokens,
      maxTokens,
      generatedTokens: result.generatedTokens ?? null,
      stopReason: result.stopReason,
    });
    return result.text.trim();
  };

  // Map: one summary per part.
  let items: PartSummary[] = [];
  const total = plan.parts.length;
  for (const part of plan.parts) {
    const text = await call("map", mapUserPrompt(source, { ...part, total }));
    items.push({ startLine: part.startLine, endLine: part.endLine, text });
    options.onProgress?.({ phase: "map", done: part.index, total });
  }
  const mapCalls = calls.length;

  // Reduce: combine groups of summaries until they all fit in the final exchange.
  const instruction = omissionInstruction(source, plan.omitted);
  // Kept between parts: the file's declared names reach the final answer whatever the part summaries kept.
  const names = plan.names;
  const finalExchange = (summaries: readonly PartSummary[]): SummaryExchange => ({
    title: titleText(source, span),
    prompt: combinedPrompt(source, span, total, names) + instruction,
    display: displayText(source, span, total, notes),
    context: [summariesContext(source, span, summaries)],
  });
  const combineBudget = limit - plan.budgets.mapAnswerTokens - systemTokens - MESSAGE_OVERHEAD_TOKENS;
  let combineCalls = 0;
  let shortenedNoted = false;
  const shorten = async (summaries: PartSummary[], maxTokens: number): Promise<PartSummary[]> => {
    if (!shortenedNoted) {
      shortenedNoted = true;
      notes.push("Some part summaries were shortened to fit the chat model's context window.");
    }
    const out: PartSummary[] = [];
    for (const item of summaries) {
      const tokens = await count(item.text);
      if (tokens <= maxTokens) {
        out.push(item);
        continue;
      }
      const keep = Math.floor(item.text.length * (maxTokens / tokens) * 0.9);
      // truncateMiddle's marker alone is ~30 characters: below that, keep the start only.
      const text = keep >= 80 ? truncateMiddle(item.text, keep) : `${item.text.slice(0, Math.max(1, keep - 1))}…`;
      out.push({ ...item, text });
    }
    return out;
  };
  for (let round = 0; ; round++) {
    const tokens = await questionTokens(finalExchange(items), count);
    if (tokens <= plan.budgets.finalQuestionTokens) {
      break;
    }
    if (round >= 12) {
      throw new SummaryError(tooSmallMessage(contextSize, plan.final.maxTokens));
    }
    if (items.length === 1) {
      // One summary left and still too long: shorten it by what is over.
      const keep = (await count(items[0]!.text)) - (tokens - plan.budgets.finalQuestionTokens) - 8;
      if (keep < 16) {
        throw new SummaryError(tooSmallMessage(contextSize, plan.final.maxTokens));
      }
      items = await shorten(items, keep);
      continue;
    }
    const groups = await groupToFit(items, (group) => count(combineUserPrompt(source, group)), combineBudget);
    if (groups.length === items.length) {
      // Not even two summaries fit in one combine prompt: shorten them all, then try again.
      items = await shorten(items, Math.floor(combineBudget / 3));
      continue;
    }
    const pending = groups.filter((group) => group.length > 1).length;
    let done = 0;
    const next: PartSummary[] = [];
    for (const group of groups) {
      if (group.length === 1) {
        next.push(group[0]!);
        continue;
      }
      const text = await call("combine", combineUserPrompt(source, group));
      combineCalls++;
      next.push({ startLine: group[0]!.startLine, endLine: group[group.length - 1]!.endLine, text });
      options.onProgress?.({ phase: "combine", done: ++done, total: pending });
    }
    items = next;
  }
  // Built last, so the question shown also carries a note added while shortening.
  return { plan, exchange: finalExchange(items), notes, parts: total, mapCalls, combineCalls, calls };
}

/** Consecutive groups whose combine prompt fits `budget` (a group of one may not fit: it is left as is). */
async function groupToFit<T>(
  items: readonly T[],
  measure: (group: T[]) => Promise<number>,
  budget: number,
): Promise<T[][]> {
  const groups: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (current.length > 0 && (await measure([...current, item])) > budget) {
      groups.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) {
    groups.push(current);
  }
  return groups;
}

/** The messages the chat sends for a summary exchange (a new conversation: no history). */
export async function exchangeMessages(
  exchange: SummaryExchange,
  contextSize: number,
  final: FinalSettings,
  count: (text: string) => Promise<number>,
): Promise<{ messages: ChatMessage[]; maxTokens: number; promptTokens: number; notes: string[] }> {
  const plan = await planPrompt({
    systemPrompt: final.systemPrompt,
    history: [],
    question: { text: exchange.prompt, context: exchange.context.map(toItem) },
    contextSize,
    maxTokens: final.maxTokens,
    count,
  });
  return { messages: plan.messages, maxTokens: plan.maxTokens, promptTokens: plan.promptTokens, notes: plan.notes };
}

export interface SummaryResult {
  /** The model's final answer. */
  text: string;
  stopReason: StopReason;
  source: Omit<SummarySource, "text">;
  span: LineSpan;
  /** Parts read (1 when everything fit at once). */
  parts: number;
  mapCalls: number;
  combineCalls: number;
  /** Lines not read (also described in `notes`). */
  omitted: LineSpan[];
  /** What was left out or shortened, in words; empty when nothing was. */
  notes: string[];
  exchange: SummaryExchange;
  calls: CallRecord[];
  ms: number;
}

export interface SummarizeOptions extends RunOptions, Omit<PlanOptions, "count" | "signal"> {
  /** Streams the final answer. */
  onChunk?: (text: string) => void;
  now?: () => number;
}

/** Plan, map, combine and generate the final answer: what the CLI runs, end to end. */
export async function summarize(source: SummarySource, options: SummarizeOptions): Promise<SummaryResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const { signal } = options;
  const plan = await planSummary(source, options);
  const prepared = await runSummaryPlan(plan, options);
  const count = counter(options.count, signal);
  const final = await exchangeMessages(prepared.exchange, plan.contextSize, plan.final, count);
  const notes = [...prepared.notes, ...final.notes];
  const result = await options.generate(
    { purpose: "final", messages: final.messages, maxTokens: final.maxTokens, temperature: plan.final.temperature },
    { signal, onChunk: options.onChunk },
  );
  signal?.throwIfAborted();
  const calls: CallRecord[] = [
    ...prepared.calls,
    {
      purpose: "final",
      promptTokens: result.promptTokens ?? final.promptTokens,
      maxTokens: final.maxTokens,
      generatedTokens: result.generatedTokens ?? null,
      stopReason: result.stopReason,
    },
  ];
  return {
    text: result.text,
    stopReason: result.stopReason,
    source: {
      task: source.task,
      path: source.path,
      languageId: source.languageId ?? null,
      startLine: source.startLine,
      wholeFile: source.wholeFile,
    },
    span: plan.span,
    parts: prepared.parts,
    mapCalls: prepared.mapCalls,
    combineCalls: prepared.combineCalls,
    omitted: plan.omitted,
    notes,
    exchange: prepared.exchange,
    calls,
    ms: now() - started,
  };
}
