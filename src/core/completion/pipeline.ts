/**
 * One inline completion, end to end and pure: prefilter -> cache -> FIM prompt (window + extra
 * context) -> generate (streamed, stopped early once the result is settled) -> post-process ->
 * cache. The engine comes in as a `generate` function with Engine.generate's signature.
 */
import type { Engine } from "../engine/engine";
import { isCancellation } from "../engine/engine";
import type { GenerationResult, SpecialToken } from "../engine/types";
import type { CompletionCache } from "./caching/completionCache";
import type { ContextChunk } from "./context/extraContextRing";
import { resolvePromptTokens } from "./context/promptBudget";
import { promptWindow } from "./context/promptWindow";
import { selectDefinitions, type DefinitionSnippet } from "./context/definitions";
import { selectChunks } from "./context/selectChunks";
import type { TokenCounter } from "../util/tokenEstimate";
import { buildGenerateBody } from "./generation/request";
import { streamDecision } from "./generation/streaming";
import { openBlocks } from "./postprocessing/blockEnd";
import { completionMode } from "./postprocessing/completionMode";
import { postprocessCompletion, type PostprocessContext, type RejectReason } from "./postprocessing/postprocess";
import { syntaxFor } from "./postprocessing/syntax";
import { prefilter, type PrefilterReason } from "./prefiltering/prefilter";
import type { CompletionSettings } from "./settings";
import {
  buildFimPrompt,
  fimUnsupportedMessage,
  missingFimTokens,
  psmTailLines,
  type SpecialTokenAvailability,
} from "./templating/fimPrompt";
import { displayPath, fromLf, splitDocument, toLf } from "./text";
import type { DocumentSnapshot, GhostText } from "./types";

export type GenerateFn = Engine["generate"];

const POSTPROCESS_PREFIX_CHARS = 4_000;
const POSTPROCESS_SUFFIX_CHARS = 20_000;

/** What the pipeline needs to know about the loaded completion model. */
export interface CompletionModel {
  /** ModelInfo.specialTokens of the completion slot. */
  specialTokens: SpecialTokenAvailability;
  /** ModelInfo.contextSize: bounds `promptTokens: "auto"`. */
  contextSize?: number;
}

export interface PipelineInput {
  document: DocumentSnapshot;
  settings: CompletionSettings;
  model: CompletionModel;
  generate: GenerateFn;
  /** Chunks from other files (ExtraContextRing.chunks). */
  extraContext?: readonly ContextChunk[];
  /** Definitions of what is used at the cursor, from other files (the adapter's lookup; see context/definitions). */
  definitions?: readonly DefinitionSnippet[];
  /** localCode.context.exclude: chunks of these paths never reach the prompt. */
  exclude?: (path: string) => boolean;
  cache?: CompletionCache;
  countTokens?: TokenCounter;
  repoName?: string;
  manual?: boolean;
  signal?: AbortSignal;
  /** Called once with the first showable line(s) while generation goes on. */
  onEarlyGhost?: (ghost: GhostText) => void;
  now?: () => number;
  /**
   * Evaluate this place's prompt without generating (reason "warmUp"), so the first keystroke here
   * pays only for its own tokens. Nothing is cached or shown.
   */
  warmUp?: boolean;
  /** Measured prompt speed of the loaded model, for `promptTokens: "auto"` (null: not measured yet). */
  promptTokensPerSecond?: number | null;
}

export type PipelineReason =
  | "ok"
  | "cache"
  | "typedAhead"
  /** This spot's output was rejected before; not asked again. */
  | "cachedRejection"
  | PrefilterReason
  | "fimUnsupported"
  | "cancelled"
  | "error"
  /** A warm-up evaluated the prompt (PipelineInput.warmUp). */
  | "warmUp"
  | `rejected:${RejectReason}`;

export interface PipelineTimings {
  totalMs: number;
  /** Window, context selection and templating. */
  promptMs: number;
  generateMs: number | null;
  /** From the start of the pipeline to the first streamed chunk / the early ghost text. */
  firstChunkMs: number | null;
  earlyGhostMs: number | null;
}

export interface PipelineResult {
  ghost: GhostText | null;
  reason: PipelineReason;
  /** Human-readable detail for logs (error message, missing tokens). */
  detail?: string;
  missingTokens?: SpecialToken[];
  timings: PipelineTimings;
  generation?: GenerationResult;
  /** The generation was stopped by us once the result could not change. */
  stoppedEarly?: boolean;
  promptTokensEstimate?: number;
  /** The chunks from other files that went into the prompt (ring chunks, then definitions). */
  context?: readonly ContextChunk[];
}

/** Lines in LF text ("" is one line). */
function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function withEol(ghost: GhostText | null, eol: DocumentSnapshot["eol"]): GhostText | null {
  return ghost ? { text: fromLf(ghost.text, eol), replaceRight: ghost.replaceRight } : null;
}

type EarlyAnswer = Omit<PipelineResult, "timings">;

/** The prefilter and the cache: what can be answered without the model (null: the model is needed). */
function answerWithoutModel(
  input: Pick<PipelineInput, "document" | "settings" | "cache" | "manual" | "signal">,
): EarlyAnswer | null {
  const { document: doc, settings } = input;
  const halves = splitDocument(doc);
  const prefix = toLf(halves.prefix);
  const suffix = toLf(halves.suffix);
  const gate = prefilter({ languageId: doc.languageId, suffix, manual: input.manual ?? false, settings });
  if (!gate.run) return { ghost: null, reason: gate.reason };
  if (input.signal?.aborted) return { ghost: null, reason: "cancelled" };
  const cached = input.cache?.lookup(prefix, suffix);
  if (cached?.kind === "hit") {
    const reason = cached.ghost === null ? "cachedRejection" : cached.typed > 0 ? "typedAhead" : "cache";
    return { ghost: withEol(cached.ghost, doc.eol), reason };
  }
  return null;
}

/**
 * A cache hit (exact, or the user typing the shown suggestion), answered at once: the provider calls
 * this before the debounce, which exists to save model calls and must not delay a free answer.
 */
export function cachedCompletion(
  input: Pick<PipelineInput, "document" | "settings" | "cache" | "manual">,
): PipelineResult | null {
  const t0 = performance.now();
  const early = answerWithoutModel(input);
  if (!early || (early.reason !== "cache" && early.reason !== "typedAhead" && early.reason !== "cachedRejection"))
    return null;
  return {
    ...early,
    timings: { totalMs: performance.now() - t0, promptMs: 0, generateMs: null, firstChunkMs: null, earlyGhostMs: null },
  };
}

export async function completionPipeline(input: PipelineInput): Promise<PipelineResult> {
  const now = input.now ?? (() => performance.now());
  const t0 = now();
  const timings: PipelineTimings = {
    totalMs: 0,
    promptMs: 0,
    generateMs: null,
    firstChunkMs: null,
    earlyGhostMs: null,
  };
  const finish = (result: Omit<PipelineResult, "timings">): PipelineResult => {
    timings.totalMs = now() - t0;
    return { ...result, timings };
  };
  const { document: doc, settings } = input;
  const early = answerWithoutModel(input);
  if (early) return finish(early);
  const halves = splitDocument(doc);
  const prefix = toLf(halves.prefix);
  const suffix = toLf(halves.suffix);

  const missing = missingFimTokens(input.model.specialTokens);
  if (missing.length > 0)
    return finish({
      ghost: null,
      reason: "fimUnsupported",
      missingTokens: missing,
      detail: fimUnsupportedMessage(missing),
    });

  const budget = resolvePromptTokens(
    settings.promptTokens,
    input.promptTokensPerSecond ?? null,
    settings.extraContextTokens,
    { contextSize: input.model.contextSize },
  );
  const window = promptWindow(prefix, suffix, { budgetTokens: budget.tokens, countTokens: input.countTokens });
  const chunks = selectChunks({
    chunks: input.extraContext ?? [],
    budgetTokens: settings.extraContextTokens,
    uri: doc.uri,
    windowText: window.prefix + window.suffix,
    countTokens: input.countTokens,
    exclude: input.exclude,
  });
  // After the ring, nearest the code: both are in the prompt's stable part, before the FIM part.
  const definitions = selectDefinitions({
    definitions: settings.definitionTokens > 0 ? (input.definitions ?? []) : [],
    budgetTokens: settings.definitionTokens,
    uri: doc.uri,
    windowText: window.prefix + window.suffix,
    ring: chunks,
    countTokens: input.countTokens,
    exclude: input.exclude,
  });
  const context = [...chunks, ...definitions];
  const prompt = buildFimPrompt({
    layout: settings.layout,
    tailLines: psmTailLines(lineCount(prefix) - 1, settings.tailLines),
    prefix: window.prefix,
    suffix: window.suffix,
    specialTokens: input.model.specialTokens,
    filePath: doc.path ?? displayPath(doc.uri),
    repoName: input.repoName,
    extraChunks: context,
  });
  if (!prompt.ok)
    return finish({ ghost: null, reason: "fimUnsupported", missingTokens: prompt.missing, detail: prompt.message });

  const mode = completionMode(prefix, suffix, syntaxFor(doc.languageId));
  // Post-processing runs on every streamed chunk; it needs only the lines near the cursor.
  const post: PostprocessContext = {
    prefix: prefix.slice(-POSTPROCESS_PREFIX_CHARS),
    suffix: suffix.slice(0, POSTPROCESS_SUFFIX_CHARS),
    languageId: doc.languageId,
    eol: doc.eol,
    indent: doc.indent,
    maxLines: settings.maxLines,
    maxChars: settings.maxChars,
    mode,
  };
  post.blocks = openBlocks(toLf(post.prefix), toLf(post.suffix), syntaxFor(doc.languageId), doc.indent.size);
  const body = buildGenerateBody(prompt.segments, mode, settings);
  timings.promptMs = now() - t0;
  const promptTokensEstimate = window.prefixTokens + window.suffixTokens;

  if (input.warmUp) {
    const tGen = now();
    try {
      const generation = await input.generate("completion", { ...body, warmUp: true }, { signal: input.signal });
      return finish({ ghost: null, reason: "warmUp", generation, promptTokensEstimate, context });
    } catch (error) {
      if (input.signal?.aborted || isCancellation(error)) return finish({ ghost: null, reason: "cancelled" });
      return finish({ ghost: null, reason: "error", detail: error instanceof Error ? error.message : String(error) });
    } finally {
      timings.generateMs = now() - tGen;
    }
  }

  // Our own controller: aborted by the caller's signal, or by us once the result is settled.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  input.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let streamed = "";
  let stoppedEarly = false;
  let earlyShown = false;
  const onChunk = (chunk: string) => {
    if (timings.firstChunkMs === null) timings.firstChunkMs = now() - t0;
    streamed += chunk;
    if (stoppedEarly) return;
    const decision = streamDecision(streamed, post);
    if (decision.kind === "show" && !earlyShown && input.onEarlyGhost) {
      earlyShown = true;
      timings.earlyGhostMs = now() - t0;
      input.onEarlyGhost(decision.ghost);
    }
    if (decision.kind !== "wait" && decision.stop) {
      stoppedEarly = true;
      controller.abort();
    }
  };

  const tGen = now();
  let generation: GenerationResult | undefined;
  let raw: string;
  try {
    generation = await input.generate("completion", body, { signal: controller.signal, onChunk, supersede: true });
    raw = stoppedEarly ? streamed : generation.text;
  } catch (error) {
    if (input.signal?.aborted) return finish({ ghost: null, reason: "cancelled" });
    if (!stoppedEarly) {
      if (isCancellation(error)) return finish({ ghost: null, reason: "cancelled" });
      return finish({ ghost: null, reason: "error", detail: error instanceof Error ? error.message : String(error) });
    }
    // We aborted on purpose; an engine may reject instead of returning the partial text.
    raw = streamed;
  } finally {
    input.signal?.removeEventListener("abort", onOuterAbort);
    timings.generateMs = now() - tGen;
  }
  if (input.signal?.aborted) return finish({ ghost: null, reason: "cancelled" });

  // A budget cut ends mid-line: keep the complete lines, unless there is only one.
  const truncated =
    !stoppedEarly && (generation?.stopReason === "maxTokens" || generation?.stopReason === "timeBudget");
  let result = postprocessCompletion(raw, post, { final: !truncated });
  if (result.kind === "pending") result = postprocessCompletion(raw, post, { final: true });
  const ghost = result.kind === "ghost" ? result.ghost : null;
  // Greedy decoding repeats itself, so results are cached, budget cuts included; but a time-budget
  // stop with nothing usable (say a cold prompt evaluation) may well succeed once the KV cache is warm.
  if (ghost || generation?.stopReason !== "timeBudget") input.cache?.set(prefix, suffix, ghost);
  const reason: PipelineReason = result.kind === "rejected" ? `rejected:${result.reason}` : "ok";
  return finish({ ghost, reason, generation, stoppedEarly, promptTokensEstimate, context });
}
