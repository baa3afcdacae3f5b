/**
 * What the status bar says, as a pure function of the engine and feature state, so every state
 * the user can see is unit-tested.
 */
import type { EngineState } from "../engine/engine";
import type { ErrorCode } from "../engine/types";

/** The remote backend as the status bar shows it. */
export interface RemoteStatus {
  /** The server's host:port (never the key, never a full URL with a path). */
  host: string;
  /** The last request's failure, cleared by the next success (401, 429, 5xx... are per request). */
  failure: { code: ErrorCode; message: string } | null;
}

export interface StatusInput {
  engine: EngineState;
  /** Basename of the completion model, or null when none is configured/loaded. */
  completionModel: string | null;
  /** A problem with the model setup (bad setting, missing file) to show instead of "ready". */
  modelProblem: string | null;
  completionEnabled: boolean;
  generating: boolean;
  lastLatencyMs: number | null;
  /** Why the last completion request showed what it showed (or nothing), in words. */
  lastReason?: string | null;
  /** Set when localCode.backend is remote. */
  remote?: RemoteStatus | null;
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
    case "unreachable": {
      // A health check can fail on more than the connection (a 401 on /v1/models): say which.
      const failure = input.remote ? REMOTE_FAILURES[engine.code] : undefined;
      if (input.remote && failure) return failureView(input.remote.host, failure, engine.reason);
      return {
        text: `$(debug-disconnect) Local Code: server unreachable${input.remote ? ` (${input.remote.host})` : ""}`,
        tooltip: engine.reason,
        severity: "warning",
      };
    }
    case "starting":
      return { text: "$(sync~spin) Local Code: starting", tooltip: "Starting the model worker.", severity: "normal" };
    case "loading":
      if (input.remote)
        return {
          text: `$(sync~spin) Local Code: connecting to ${input.remote.host}`,
          tooltip: `Checking the server ${input.remote.host} and its ${engine.slot} model ${engine.modelPath || "(its only model)"}.`,
          severity: "normal",
        };
      return {
        text: `$(sync~spin) Local Code: loading ${basename(engine.modelPath)}`,
        tooltip: `Loading the ${engine.slot} model ${engine.modelPath}`,
        severity: "normal",
      };
    default:
      break;
  }
  if (input.remote) return describeRemote(input, input.remote);
  if (input.modelProblem)
    return { text: `$(warning) Local Code: ${name}`, tooltip: input.modelProblem, severity: "warning" };
  if (!input.completionEnabled)
    return {
      text: `$(circle-slash) Local Code: ${name}`,
      tooltip: "Inline completion is off. Click for options.",
      severity: "normal",
    };
  if (input.generating)
    return { text: `$(loading~spin) Local Code: ${name}`, tooltip: "Generating a suggestion.", severity: "normal" };
  const latency = input.lastLatencyMs === null ? "" : ` · ${Math.round(input.lastLatencyMs)} ms`;
  const state = engine.kind === "stopped" ? "idle" : "ready";
  return {
    text: `$(check) Local Code: ${name}${latency}`,
    tooltip: `Model ${name}: ${state}.${lastRequest(input)} Click for options.`,
    severity: "normal",
  };
}

interface FailureLook {
  label: string;
  icon: string;
  hint: string;
  severity: StatusView["severity"];
}

function failureView(host: string, failure: FailureLook, message: string): StatusView {
  return {
    text: `$(${failure.icon}) Local Code: ${host} ${failure.label}`,
    tooltip: `${message} ${failure.hint}`,
    severity: failure.severity,
  };
}

/** Request failures with their own words; connection failures (unreachable, timeout, interrupted) read "server unreachable". */
const REMOTE_FAILURES: Partial<Record<ErrorCode, FailureLook>> = {
  remoteUnauthorized: {
    label: "unauthorized",
    icon: "lock",
    hint: "Set the key with Local Code: Set Remote API Key.",
    severity: "error",
  },
  remoteRateLimited: {
    label: "rate-limited",
    icon: "watch",
    hint: "The next suggestion tries again.",
    severity: "warning",
  },
  remoteModelNotFound: {
    label: "model not found",
    icon: "warning",
    hint: "Check localCode.remote.completionModel / chatModel.",
    severity: "error",
  },
  remoteServerError: {
    label: "server error",
    icon: "warning",
    hint: "The next request tries again.",
    severity: "warning",
  },
  remoteStalled: { label: "stalled", icon: "warning", hint: "The next request tries again.", severity: "warning" },
  remoteBadResponse: {
    label: "bad response",
    icon: "warning",
    hint: "Is this an OpenAI-compatible server?",
    severity: "error",
  },
};

const CONNECTION_FAILURE: FailureLook = {
  label: "unreachable",
  icon: "debug-disconnect",
  hint: "The next request tries again.",
  severity: "warning",
};

function describeRemote(input: StatusInput, remote: RemoteStatus): StatusView {
  const model = input.completionModel ?? "server model";
  const failure = remote.failure ? (REMOTE_FAILURES[remote.failure.code] ?? CONNECTION_FAILURE) : undefined;
  if (remote.failure && failure) return failureView(remote.host, failure, remote.failure.message);
  if (input.modelProblem)
    return { text: `$(warning) Local Code: ${remote.host}`, tooltip: input.modelProblem, severity: "warning" };
  if (!input.completionEnabled)
    return {
      text: `$(circle-slash) Local Code: ${model} @ ${remote.host}`,
      tooltip: "Inline completion is off. Click for options.",
      severity: "normal",
    };
  if (input.generating)
    return {
      text: `$(loading~spin) Local Code: ${model} @ ${remote.host}`,
      tooltip: "Generating a suggestion on the server.",
      severity: "normal",
    };
  const latency = input.lastLatencyMs === null ? "" : ` · ${Math.round(input.lastLatencyMs)} ms`;
  const state = input.engine.kind === "stopped" ? "idle" : "ready";
  return {
    text: `$(cloud) Local Code: ${model} @ ${remote.host}${latency}`,
    tooltip: `Remote server ${remote.host}, model ${model}: ${state}.${lastRequest(input)} Click for options.`,
    severity: "normal",
  };
}

function lastRequest(input: StatusInput): string {
  return input.lastReason ? ` Last request: ${input.lastReason}.` : "";
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}
