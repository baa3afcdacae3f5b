/** Inline completion, pure stages (no vscode, no node-llama-cpp). */
export * from "./settings";
export * from "./types";
export {
  prefilter,
  rightOfCursorAllowsCompletion,
  type PrefilterInput,
  type PrefilterReason,
  type PrefilterResult,
} from "./prefiltering/prefilter";
export { estimateTokens, calibratedEstimator, type TokenCounter } from "../util/tokenEstimate";
export {
  AUTO_PROMPT,
  PromptThroughput,
  resolvePromptTokens,
  throughputSample,
  type PromptBudget,
  type PromptTokensSetting,
  type ThroughputSample,
} from "./context/promptBudget";
export { promptWindow, type PromptWindow, type WindowOptions } from "./context/promptWindow";
export {
  ExtraContextRing,
  chunkAround,
  lineSimilarity,
  type ContextChunk,
  type ChunkSource,
  type RingOptions,
} from "./context/extraContextRing";
export { selectChunks, type SelectChunksInput } from "./context/selectChunks";
export {
  definitionSites,
  definitionSnippet,
  selectDefinitions,
  type DefinitionSnippet,
  type LookupSite,
  type SelectDefinitionsInput,
  type SiteKind,
} from "./context/definitions";
export { copiedChunk, MAX_COPIED_CHARS, type OpenDocumentText } from "./context/copiedChunk";
export {
  buildFimPrompt,
  fimUnsupportedMessage,
  missingFimTokens,
  psmTailLines,
  renderSegments,
  CHUNK_SEPARATOR,
  type FimPromptInput,
  type FimPromptResult,
  type SpecialTokenAvailability,
} from "./templating/fimPrompt";
export { buildGenerateBody } from "./generation/request";
export { streamDecision, type StreamDecision } from "./generation/streaming";
export {
  postprocessCompletion,
  type PostprocessContext,
  type PostprocessResult,
  type RejectReason,
} from "./postprocessing/postprocess";
export { completionMode, type CompletionMode } from "./postprocessing/completionMode";
export { STOP_MARKERS, ENGINE_STOP_STRINGS, cutAtStopMarker } from "./postprocessing/stopMarkers";
export { CompletionCache, type CacheLookup, type CompletionCacheOptions } from "./caching/completionCache";
export { LruCache } from "../util/lruCache";
export { planSpeculation, acceptGhost, type SpeculationInput, type SpeculationPlan } from "./caching/speculation";
export {
  CompletionScheduler,
  type ScheduleOutcome,
  type ScheduleOptions,
  type DebouncePolicy,
} from "./scheduling/scheduler";
export { AdaptiveDebounce, type AdaptiveDebounceOptions } from "./scheduling/adaptiveDebounce";
export { systemClock, type Clock, type TimerHandle } from "./scheduling/clock";
export {
  cachedCompletion,
  completionPipeline,
  type PipelineInput,
  type PipelineResult,
  type PipelineReason,
  type PipelineTimings,
  type GenerateFn,
  type CompletionModel,
} from "./pipeline";
export {
  WarmUpPlanner,
  WARM_UP_PAUSE_MS,
  onBatteryFromPmset,
  onBatteryFromSysfs,
  type Place,
  type WarmUpCheck,
  type WarmUpDecision,
  type WarmUpSkip,
  type WarmUpTarget,
} from "./scheduling/warmUp";
export { afterEnter } from "./scheduling/afterEnter";
export {
  CompletionStats,
  STEP_KINDS,
  percentile,
  reasonInWords,
  statsMarkdown,
  stepKind,
  type StatsSummary,
  type StepKind,
  type StepPlace,
  type StepSummary,
} from "./stats/completionStats";
