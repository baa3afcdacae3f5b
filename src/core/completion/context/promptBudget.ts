/**
 * `localCode.completion.promptTokens: "auto"`: the prefix+suffix window sized so that a cold request
 * (nothing in the KV cache: a new place with no warm-up, a fresh file) evaluates its prompt within a
 * target time on this machine. The speed is measured from the loaded model's own requests (warm-ups
 * and completions that evaluated enough tokens), never assumed from the hardware.
 */
import type { GenerationResult } from "../../engine/types";

export const AUTO_PROMPT = {
  /** A cold request should evaluate its whole prompt within this. */
  targetMs: 2000,
  /** Below this the model sees too little code to complete usefully, however slow the machine. */
  minTokens: 256,
  maxTokens: 4096,
  /** Until the first measurement (the setting's old default). */
  fallbackTokens: 1024,
  /** A request must evaluate at least this many tokens to count: a few tokens measure overheads, not speed. */
  minSampleTokens: 64,
  /** The median of the first few measurements is kept (one may have shared the CPU with a build). */
  samples: 3,
  /** The window is a multiple of this. */
  stepTokens: 64,
} as const;

export type PromptTokensSetting = number | "auto";

/** Left free in the context beside auto's window: the prompt header and the generated tokens. */
const CONTEXT_RESERVE_TOKENS = 256;

export interface ThroughputSample {
  tokens: number;
  ms: number;
}

/**
 * Prompt-evaluation speed of one generation, or null when it says nothing about it: too few tokens
 * evaluated, or no first token (a time-budget stop before the first token mixes in waiting).
 * A warm-up evaluates only, so its whole time counts; a completion counts up to its first token.
 */
export function throughputSample(g: GenerationResult | undefined): ThroughputSample | null {
  if (!g) return null;
  const tokens = g.promptTokens - g.reusedPromptTokens;
  if (tokens < AUTO_PROMPT.minSampleTokens) return null;
  const ms = g.stopReason === "warmUp" ? g.ms : g.firstTokenMs;
  if (ms === null || !(ms > 0)) return null;
  return { tokens, ms };
}

/** Measured prompt speed of the loaded model, kept while that model stays loaded. */
export class PromptThroughput {
  private model: string | null = null;
  private rates: number[] = [];

  /** Records what a request of `model` measured; a new model starts over. */
  observe(model: string, generation: GenerationResult | undefined): void {
    if (model !== this.model) this.reset(model);
    if (this.rates.length >= AUTO_PROMPT.samples) return;
    const sample = throughputSample(generation);
    if (sample) this.rates.push((sample.tokens * 1000) / sample.ms);
  }

  /** Tokens per second for `model` (median of the samples), or null before a measurement. */
  tokensPerSecond(model: string): number | null {
    if (model !== this.model || this.rates.length === 0) return null;
    const sorted = [...this.rates].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }

  samples(model: string): number {
    return model === this.model ? this.rates.length : 0;
  }

  /** The model was reloaded or restarted (maybe with other threads): measure again. */
  reset(model: string | null = null): void {
    this.model = model;
    this.rates = [];
  }
}

export interface PromptBudget {
  /** The prefix+suffix window in tokens. */
  tokens: number;
  auto: boolean;
  /** The measured speed auto used (null: fixed setting, or not measured yet). */
  tokensPerSecond: number | null;
  /** What was chosen and why, in words (hardware report, log). */
  why: string;
}

/**
 * The window for a setting. Auto: what the measured speed evaluates in the target time, less the
 * extra-context budget (those chunks are part of a cold prompt too), in steps, within [min, max].
 */
export function resolvePromptTokens(
  setting: PromptTokensSetting,
  tokensPerSecond: number | null,
  extraContextTokens: number,
  options: Partial<Record<keyof typeof AUTO_PROMPT, number>> & {
    /** The loaded model's context: auto's window leaves room for the extra context, header and output. */
    contextSize?: number;
  } = {},
): PromptBudget {
  const { contextSize, ...rest } = options;
  const o = { ...AUTO_PROMPT, ...rest };
  if (contextSize !== undefined)
    o.maxTokens = Math.max(
      o.minTokens,
      Math.min(
        o.maxTokens,
        Math.floor((contextSize - extraContextTokens - CONTEXT_RESERVE_TOKENS) / o.stepTokens) * o.stepTokens,
      ),
    );
  if (setting !== "auto")
    return { tokens: setting, auto: false, tokensPerSecond: null, why: `${setting} tokens (fixed by the setting)` };
  if (tokensPerSecond === null || !(tokensPerSecond > 0))
    return {
      tokens: o.fallbackTokens,
      auto: true,
      tokensPerSecond: null,
      why: `auto: ${o.fallbackTokens} tokens until a request measures this model's prompt speed on this machine`,
    };
  const inTarget = Math.floor((tokensPerSecond * o.targetMs) / 1000);
  const raw = Math.floor((inTarget - extraContextTokens) / o.stepTokens) * o.stepTokens;
  const tokens = Math.min(o.maxTokens, Math.max(o.minTokens, raw));
  const limit =
    tokens === o.minTokens && raw < o.minTokens
      ? ` (raised to the floor of ${o.minTokens}: a smaller window gives the model too little code)`
      : tokens === o.maxTokens && raw > o.maxTokens
        ? ` (capped at ${o.maxTokens})`
        : "";
  const extra = extraContextTokens > 0 ? ` less ${extraContextTokens} for context from other files` : "";
  return {
    tokens,
    auto: true,
    tokensPerSecond,
    why:
      `auto: ${tokens} tokens${limit}. Prompt evaluation measured at ${Math.round(tokensPerSecond)} tokens/s ` +
      `for the loaded model, so a cold request evaluates ${inTarget} tokens in ${(o.targetMs / 1000).toFixed(0)} s${extra}`,
  };
}
