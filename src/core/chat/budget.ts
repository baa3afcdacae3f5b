/**
 * Fitting a conversation into the model's context window. The newest question always goes in
 * (its attachments shortened if they must be); older turns are added newest first until the budget
 * is spent; the rest are dropped, replaced by a one-line-per-question recap, and the user gets a
 * visible note. Never throws for lack of room: the worst case is a heavily shortened prompt.
 */
import type { ChatMessage } from "../engine/types";
import type { ContextItem, Turn } from "./types";
import { formatQuestion, formatQuestionCompact, truncateMiddle } from "./promptFormat";
import { makeTitle } from "./title";

/** Tokens a chat template adds around each message (role markers etc.); a safe over-estimate. */
export const MESSAGE_OVERHEAD_TOKENS = 8;
const MIN_ANSWER_TOKENS = 16;
const MAX_RECAP_QUESTIONS = 10;
/** Below this many characters a shortened attachment is useless; leave it out instead. */
const MIN_USEFUL_ATTACHMENT_CHARS = 200;

export interface PromptPlanInput {
  systemPrompt: string;
  /** Turns before the question being answered, oldest first. */
  history: readonly Turn[];
  question: { text: string; context: readonly ContextItem[] };
  contextSize: number;
  /** Most tokens the answer may use (the user's setting). */
  maxTokens: number;
  /** Token count of a text (exact from the model's tokenizer, or an estimate). */
  count: (text: string) => Promise<number>;
}

export interface PromptPlan {
  messages: ChatMessage[];
  /** Tokens the answer may use: the setting, capped by what is left of the window. */
  maxTokens: number;
  promptTokens: number;
  includedTurns: number;
  droppedTurns: number;
  /** Older turns sent without their attachments. */
  compactedTurns: number;
  /** Visible notes for the user about what was shortened or left out. */
  notes: string[];
}

export async function planPrompt(input: PromptPlanInput): Promise<PromptPlan> {
  const { contextSize, count } = input;
  const notes: string[] = [];
  const reserve = clamp(input.maxTokens, MIN_ANSWER_TOKENS, Math.max(MIN_ANSWER_TOKENS, Math.floor(contextSize / 2)));
  const margin = Math.max(16, Math.ceil(contextSize * 0.03));
  const budget = Math.max(0, contextSize - reserve - margin);

  // System prompt: may take at most half the budget.
  let system = input.systemPrompt.trim();
  let systemTokens = system ? (await count(system)) + MESSAGE_OVERHEAD_TOKENS : 0;
  if (systemTokens > budget / 2) {
    system = await shrinkText(system, Math.floor(budget / 2) - MESSAGE_OVERHEAD_TOKENS, count);
    systemTokens = system ? (await count(system)) + MESSAGE_OVERHEAD_TOKENS : 0;
    notes.push("The system prompt was shortened to fit the model's context window.");
  }

  // The question being answered, attachments shortened (biggest first) if it does not fit.
  const available = Math.max(0, budget - systemTokens);
  const current = await fitQuestion(input.question.text, input.question.context, available, count, notes);

  // Older turns, newest first.
  let remaining = available - current.tokens;
  const historyMessages: ChatMessage[] = [];
  const eligible = input.history.filter((turn) => turn.answer !== null && turn.answer.text.trim().length > 0);
  let includedTurns = 0;
  let compactedTurns = 0;
  let droppedTurns = 0;
  /** Cost of each included turn, oldest first (to make room for the recap). */
  const includedCosts: number[] = [];
  for (let i = eligible.length - 1; i >= 0; i--) {
    const turn = eligible[i]!;
    const answer = turn.answer!.text;
    const answerTokens = (await count(answer)) + MESSAGE_OVERHEAD_TOKENS;
    const full = formatQuestion(turn.question.text, turn.question.context);
    let cost = answerTokens + (await count(full)) + MESSAGE_OVERHEAD_TOKENS;
    let user = full;
    if (cost > remaining && turn.question.context.length > 0) {
      user = formatQuestionCompact(turn.question.text, turn.question.context);
      cost = answerTokens + (await count(user)) + MESSAGE_OVERHEAD_TOKENS;
      if (cost <= remaining) {
        compactedTurns++;
      }
    }
    if (cost > remaining) {
      droppedTurns = i + 1;
      break;
    }
    remaining -= cost;
    includedTurns++;
    includedCosts.unshift(cost);
    historyMessages.unshift({ role: "user", content: user }, { role: "assistant", content: answer });
  }

  if (droppedTurns > 0) {
    // A recap of the dropped questions, as long as it stays small; older kept turns make room for it.
    const dropped = () => eligible.slice(0, droppedTurns);
    let recap = "";
    let recapTokens = 0;
    for (const limit of [MAX_RECAP_QUESTIONS, 5, 2, 1]) {
      recap = makeRecap(dropped().slice(-limit));
      recapTokens = (await count(recap)) + (system ? 0 : MESSAGE_OVERHEAD_TOKENS);
      if (recapTokens <= available / 4) {
        break;
      }
    }
    while (recapTokens > remaining && includedCosts.length > 0) {
      remaining += includedCosts.shift()!;
      historyMessages.splice(0, 2);
      includedTurns--;
      droppedTurns++;
      recap = makeRecap(dropped().slice(-MAX_RECAP_QUESTIONS));
      recapTokens = (await count(recap)) + (system ? 0 : MESSAGE_OVERHEAD_TOKENS);
    }
    const summarised = recapTokens <= remaining && recapTokens <= available / 4;
    if (summarised) {
      system = system ? `${system}\n\n${recap}` : recap;
      remaining -= recapTokens;
    }
    const exchanges = droppedTurns === 1 ? "1 earlier exchange" : `${droppedTurns} earlier exchanges`;
    notes.push(
      `${exchanges} did not fit in the model's ${contextSize.toLocaleString("en-US")}-token context window and ${droppedTurns === 1 ? "was" : "were"} left out` +
        (summarised ? "; the model was given a one-line summary of each question." : "."),
    );
  }
  if (compactedTurns > 0) {
    notes.push(
      `Attachments of ${compactedTurns === 1 ? "1 earlier question were" : `${compactedTurns} earlier questions were`} left out to fit the context window.`,
    );
  }

  const messages: ChatMessage[] = [];
  if (system) {
    messages.push({ role: "system", content: system });
  }
  messages.push(...historyMessages, { role: "user", content: current.text });
  const promptTokens = available - remaining + systemTokens;
  const maxTokens = Math.max(1, Math.min(input.maxTokens, contextSize - promptTokens - margin));
  return { messages, maxTokens, promptTokens, includedTurns, droppedTurns, compactedTurns, notes };
}

function makeRecap(turns: readonly Turn[]): string {
  return (
    "Earlier parts of this conversation were left out to fit the context window. Before the messages below, the user had asked:\n" +
    turns.map((turn) => `- ${makeTitle(turn.question.display ?? turn.question.text, 100)}`).join("\n")
  );
}

async function fitQuestion(
  text: string,
  context: readonly ContextItem[],
  available: number,
  count: (text: string) => Promise<number>,
  notes: string[],
): Promise<{ text: string; tokens: number }> {
  let items = context.map((item) => ({ ...item }));
  const measure = async () => {
    const formatted = formatQuestion(text, items);
    return { text: formatted, tokens: (await count(formatted)) + MESSAGE_OVERHEAD_TOKENS };
  };
  let current = await measure();
  const shortened = new Set<string>();
  const leftOut: string[] = [];
  for (let round = 0; current.tokens > available && items.length > 0 && round < 4 * context.length + 4; round++) {
    const biggest = items.reduce((a, b) => (b.content.length > a.content.length ? b : a));
    const excess = current.tokens - available;
    const itemTokens = Math.max(1, await count(biggest.content));
    const keepChars = Math.floor(biggest.content.length * Math.max(0, (itemTokens - excess - 16) / itemTokens));
    if (keepChars < MIN_USEFUL_ATTACHMENT_CHARS) {
      items = items.filter((item) => item !== biggest);
      shortened.delete(biggest.label);
      leftOut.push(biggest.label);
    } else {
      biggest.content = truncateMiddle(biggest.content, keepChars);
      shortened.add(biggest.label);
    }
    current = await measure();
  }
  for (const label of shortened) {
    notes.push(`“${label}” was shortened to fit the model's context window.`);
  }
  for (const label of leftOut) {
    notes.push(`“${label}” was left out: it does not fit in the model's context window.`);
  }
  if (current.tokens > available) {
    const room = Math.max(1, available - MESSAGE_OVERHEAD_TOKENS);
    const cut = await shrinkText(current.text, room, count);
    notes.push("Your question was shortened to fit the model's context window.");
    current = { text: cut, tokens: (await count(cut)) + MESSAGE_OVERHEAD_TOKENS };
  }
  return current;
}

/** Shorten a text (keeping head and tail) until it counts at most `maxTokens`. */
async function shrinkText(text: string, maxTokens: number, count: (text: string) => Promise<number>): Promise<string> {
  let result = text;
  for (let round = 0; round < 6; round++) {
    const tokens = await count(result);
    if (tokens <= maxTokens) {
      return result;
    }
    const keep = Math.floor(result.length * (Math.max(0, maxTokens) / tokens) * 0.9);
    if (keep <= 0) {
      return "";
    }
    result = keep < 64 ? result.slice(0, keep) : truncateMiddle(result, keep);
  }
  return result;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
