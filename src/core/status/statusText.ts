/**
 * What the status bar says, as a pure function of the engine and feature state, so every state
 * the user can see is unit-tested.
 */
import type { EngineState } from "../engine/engine";

export interface StatusInput {
  engine: EngineState;
  /** Basename of the completion model, or null when none is configured/loaded. */
  completionModel: string | null;
  /** A problem with the model setup (bad setting, missing file) to show instead of "ready". */
  modelProblem: string | null;
  completionEnabled: boolean;
  generating: boolean;
  lastLatencyMs: number | null;
}

export interface StatusView {
  text: string;
  tooltip: string;
  severity: "normal" | "warning" | "error";
}

export function describeStatus(input: StatusInput): StatusView {
  const name = input.completionModel ?? "no model";
  const engine = input.engine;
  switch (engine.kind) {
    case "failed":
      return { text: "$(error) Local Code: worker stopped", tooltip: engine.reason, severity: "error" };
    case "crashed":
      return {
        text: `$(sync~spin) Local Code: restarting`,
        tooltip: `The model worker stopped (${engine.reason}); restart ${engine.restarts} in ${Math.round(engine.restartInMs / 100) / 10} s.`,
        severity: "warning",
      };
    case "unreachable":
      return { text: "$(debug-disconnect) Local Code: server unreachable", tooltip: engine.reason, severity: "warning" };
    case "starting":
      return { text: "$(sync~spin) Local Code: starting", tooltip: "Starting the model worker.", severity: "normal" };
    case "loading":
      return { text: `$(sync~spin) Local Code: loading ${basename(engine.modelPath)}`, tooltip: `Loading the ${engine.slot} model ${engine.modelPath}`, severity: "normal" };
    default:
      break;
  }
  if (input.modelProblem) return { text: `$(warning) Local Code: ${name}`, tooltip: input.modelProblem, severity: "warning" };
  if (!input.completionEnabled) return { text: `$(circle-slash) Local Code: ${name}`, tooltip: "Inline completion is off. Click for options.", severity: "normal" };
  if (input.generating) return { text: `$(loading~spin) Local Code: ${name}`, tooltip: "Generating a suggestion.", severity: "normal" };
  const latency = input.lastLatencyMs === null ? "" : ` · ${Math.round(input.lastLatencyMs)} ms`;
  const state = engine.kind === "stopped" ? "idle" : "ready";
  return { text: `$(check) Local Code: ${name}${latency}`, tooltip: `Model ${name}: ${state}. Click for options.`, severity: "normal" };
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}
