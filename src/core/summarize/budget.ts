/**
 * Token budgets for summaries. The final exchange goes through the chat's own prompt planner
 * (`planPrompt`), so `finalQuestionBudget` mirrors its arithmetic exactly: whatever fits here is
 * sent to the model unshortened there.
 */
import { MESSAGE_OVERHEAD_TOKENS } from "../chat/budget";

export { MESSAGE_OVERHEAD_TOKENS };

/** What the final answer is generated with (the chat settings, or the CLI's options). */
export interface FinalSettings {
  systemPrompt: string;
  /** Most tokens of the final answer (also reserved out of the window). */
  maxTokens: number;
  temperature: number;
}

/** Room kept free for chat-template tokens the estimates miss (same rule as the chat). */
export function safetyMargin(contextSize: number): number {
  return Math.max(16, Math.ceil(contextSize * 0.03));
}

/** Most tokens of one part summary: 15% of the window, at least 24, at most 384. */
export function mapAnswerTokens(contextSize: number): number {
  return Math.min(384, Math.max(24, Math.floor(contextSize * 0.15)));
}

/** Extra room left in each map prompt for a fence longer than three backticks. */
export const FENCE_SLACK_TOKENS = 8;

/**
 * Tokens the final user message (question plus attached context, as the chat formats it, plus
 * MESSAGE_OVERHEAD_TOKENS) may count so that `planPrompt` sends it without shortening anything.
 */
export async function finalQuestionBudget(
  contextSize: number,
  settings: FinalSettings,
  count: (text: string) => Promise<number>,
): Promise<number> {
  const reserve = Math.min(Math.max(16, Math.floor(contextSize / 2)), Math.max(16, settings.maxTokens));
  const budget = Math.max(0, contextSize - reserve - safetyMargin(contextSize));
  const system = settings.systemPrompt.trim();
  let systemTokens = system ? (await count(system)) + MESSAGE_OVERHEAD_TOKENS : 0;
  if (systemTokens > budget / 2) {
    // planPrompt shortens the system prompt to at most this (and says so).
    systemTokens = Math.floor(budget / 2);
  }
  return Math.max(0, budget - systemTokens);
}
