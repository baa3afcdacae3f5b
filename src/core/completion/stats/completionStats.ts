/**
 * Completion statistics since the window opened, kept in memory and never sent anywhere: requests,
 * shown, accepted, and per kind of step (typing in a line, a new line, a new place) the latency
 * p50/p95 and the prompt tokens evaluated. Plus the reason of the last request in words.
 */
import type { PipelineReason, PipelineResult } from "../pipeline";

/** What the user did before a request, as far as the prompt's reuse goes. */
export type StepKind = "typing" | "newLine" | "newPlace" | "warmUp";
export const STEP_KINDS: readonly StepKind[] = ["typing", "newLine", "newPlace", "warmUp"];

export interface StepPlace {
  uri: string;
  /** 0-based cursor line. */
  line: number;
}

/** Typing on the same line, one line down (Enter), or anywhere else. */
export function stepKind(previous: StepPlace | null, current: StepPlace): Exclude<StepKind, "warmUp"> {
  if (!previous || previous.uri !== current.uri) return "newPlace";
  if (previous.line === current.line) return "typing";
  if (current.line === previous.line + 1) return "newLine";
  return "newPlace";
}

type PlainReason = Exclude<PipelineReason, `rejected:${string}`> | "modelLoading" | "superseded";

/** Every reason but a rejection, in words; a function says the failure's detail when there is one. */
const REASON_WORDS: Record<PlainReason, string | ((detail?: string) => string)> = {
  ok: "a suggestion was shown",
  cache: "shown from the cache (no model call)",
  typedAhead: "you typed what the suggestion said: the rest was shown from the cache",
  cachedRejection: "nothing suggested: the model's answer here was rejected before (not asked again)",
  disabled: "nothing suggested: inline completion is off",
  languageDisabled: "nothing suggested: completion is disabled for this language",
  cursorBeforeText: "nothing suggested: text sits right of the cursor",
  fimUnsupported: (detail) => `nothing suggested: ${detail ?? "the model has no fill-in-the-middle tokens"}`,
  cancelled: "nothing suggested: the request was cancelled",
  superseded: "nothing suggested: a newer keystroke replaced the request",
  modelLoading: "nothing suggested: the model is still loading",
  error: (detail) => `nothing suggested: ${detail ?? "the engine failed"}`,
  warmUp: "the prompt of this place was evaluated ahead (warm-up)",
};

const REJECTION_WORDS: Record<string, string> = {
  empty: "the model suggested nothing",
  repeatsLineAbove: "rejected as a repeat of the line above",
  repeatsLineBelow: "rejected as a repeat of the line below",
};

/** The reason of a request in words, for the status bar tooltip and the log. */
export function reasonInWords(reason: PipelineReason | "modelLoading" | "superseded", detail?: string): string {
  if (reason.startsWith("rejected:")) {
    const why = reason.slice("rejected:".length);
    return `nothing suggested: ${REJECTION_WORDS[why] ?? `rejected (${why})`}`;
  }
  if (!Object.hasOwn(REASON_WORDS, reason)) return String(reason);
  const words = REASON_WORDS[reason as PlainReason];
  return typeof words === "string" ? words : words(detail);
}

export interface StepSummary {
  kind: StepKind;
  requests: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** Prompt tokens evaluated (not reused from the KV cache) per model call. */
  evaluatedP50: number | null;
  evaluatedP95: number | null;
}

export interface StatsSummary {
  requests: number;
  shown: number;
  accepted: number;
  /** Requests by reason (ok, cache, cursorBeforeText, ...). */
  reasons: Record<string, number>;
  steps: StepSummary[];
  timeBudgetStops: number;
}

/** Samples kept per kind (the newest): enough for p95, bounded memory. */
const MAX_SAMPLES = 500;

export class CompletionStats {
  private requests = 0;
  private shown = 0;
  private accepted = 0;
  private timeBudgetStops = 0;
  private readonly reasons = new Map<string, number>();
  private readonly latency = new Map<StepKind, number[]>();
  private readonly evaluated = new Map<StepKind, number[]>();
  private readonly counts = new Map<StepKind, number>();

  record(kind: StepKind, result: Pick<PipelineResult, "reason" | "ghost" | "timings" | "generation">): void {
    if (kind !== "warmUp") this.requests++;
    this.reasons.set(result.reason, (this.reasons.get(result.reason) ?? 0) + 1);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (result.ghost) this.shown++;
    if (result.generation?.stopReason === "timeBudget") this.timeBudgetStops++;
    if (result.reason !== "cancelled") push(this.latency, kind, result.timings.earlyGhostMs ?? result.timings.totalMs);
    if (result.generation)
      push(this.evaluated, kind, result.generation.promptTokens - result.generation.reusedPromptTokens);
  }

  /** A superseded request that never produced a result still counts as a request. */
  superseded(): void {
    this.requests++;
    this.reasons.set("superseded", (this.reasons.get("superseded") ?? 0) + 1);
  }

  recordAccepted(): void {
    this.accepted++;
  }

  summary(): StatsSummary {
    return {
      requests: this.requests,
      shown: this.shown,
      accepted: this.accepted,
      timeBudgetStops: this.timeBudgetStops,
      reasons: Object.fromEntries([...this.reasons.entries()].sort((a, b) => b[1] - a[1])),
      steps: STEP_KINDS.map((kind) => {
        const latency = this.latency.get(kind) ?? [];
        const evaluated = this.evaluated.get(kind) ?? [];
        return {
          kind,
          requests: this.counts.get(kind) ?? 0,
          latencyP50Ms: percentile(latency, 50),
          latencyP95Ms: percentile(latency, 95),
          evaluatedP50: percentile(evaluated, 50),
          evaluatedP95: percentile(evaluated, 95),
        };
      }),
    };
  }
}

function push(map: Map<StepKind, number[]>, kind: StepKind, value: number): void {
  const list = map.get(kind) ?? [];
  list.push(value);
  if (list.length > MAX_SAMPLES) list.shift();
  map.set(kind, list);
}

/** Nearest-rank percentile; null for no samples. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const STEP_LABELS: Record<StepKind, string> = {
  typing: "typing in a line",
  newLine: "new line (Enter)",
  newPlace: "new place (file, jump, click)",
  warmUp: "warm-up (evaluated ahead, nothing shown)",
};

const ms = (v: number | null) => (v === null ? "–" : `${Math.round(v)} ms`);
const tok = (v: number | null) => (v === null ? "–" : String(Math.round(v)));

/** Markdown for the statistics view. */
export function statsMarkdown(summary: StatsSummary, lastReason: string | null): string {
  const lines = [
    "# Local Code: completion statistics",
    "",
    "Since this window opened. Kept in memory on this machine only, never sent anywhere.",
    "",
    `- Requests: ${summary.requests}`,
    `- Suggestions shown: ${summary.shown}`,
    `- Accepted: ${summary.accepted}`,
    `- Stopped by the time budget: ${summary.timeBudgetStops}`,
    `- Last request: ${lastReason ?? "none yet"}`,
    "",
    "| step | requests | latency p50 | latency p95 | prompt tokens evaluated p50 | p95 |",
    "|---|---|---|---|---|---|",
    ...summary.steps.map(
      (s) =>
        `| ${STEP_LABELS[s.kind]} | ${s.requests} | ${ms(s.latencyP50Ms)} | ${ms(s.latencyP95Ms)} | ${tok(s.evaluatedP50)} | ${tok(s.evaluatedP95)} |`,
    ),
    "",
    "Latency: from the request to the first ghost text (or to the result when nothing showed early).",
    "",
    "| reason | requests |",
    "|---|---|",
    ...Object.entries(summary.reasons).map(([reason, n]) => `| ${reason} | ${n} |`),
    "",
  ];
  return lines.join("\n");
}
