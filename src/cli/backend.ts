/**
 * `--backend local|remote` for the generation commands: the local worker on a GGUF file
 * (`--model PATH`), or an inference server (`--remote-url URL [--remote-model NAME]`, the API key
 * from LCA_REMOTE_API_KEY, never from a flag, so it stays out of shell history and process lists).
 */
import * as path from "node:path";
import { RemoteEngine } from "../client/remote/remoteEngine";
import type { Logger } from "../core/util/logger";
import type { StoppableEngine } from "../core/engine/switchingEngine";
import {
  BackendSchema,
  CompletionRouteSchema,
  FimFamilySettingSchema,
  normalizeServerUrl,
  ONLY_SERVED_MODEL,
} from "../core/remote/remoteConfig";
import { requiredOption, UsageError, type ParsedArgs } from "./args";

export const BACKEND_OPTIONS = ["backend", "remote-url", "remote-model", "remote-route", "fim-family"] as const;

export const API_KEY_ENV = "LCA_REMOTE_API_KEY";

export const BACKEND_USAGE =
  "Backends (complete, infill, chat, summarize):\n" +
  "  --backend local|remote   local (default): the model worker on --model PATH\n" +
  "  --remote-url URL         remote: an inference server (llama-server, vLLM, Ollama, OpenAI-compatible)\n" +
  "  --remote-model NAME      the server's model name (default: the server's only model)\n" +
  "  --remote-route R         auto | infill | completions: how inline-completion prompts are sent (default auto)\n" +
  "  --fim-family F           auto | qwen2.5-coder | codegemma | starcoder2 | deepseek-coder | codellama (default auto)\n" +
  `  The API key, if the server needs one, is read from $${API_KEY_ENV}.\n`;

export interface BackendChoice {
  kind: "local" | "remote";
  /** The local model path, or the server's model name ("" = its only model). */
  model: string;
  /** What to print as the model in messages. */
  label: string;
  makeEngine: () => StoppableEngine;
}

/** Reads and checks the backend options (before anything is started). */
export function backendFromArgs(args: ParsedArgs, makeLocal: () => StoppableEngine, log: Logger): BackendChoice {
  const backend = BackendSchema.safeParse(args.options.get("backend") ?? "local");
  if (!backend.success)
    throw new UsageError(`--backend must be local or remote, got "${args.options.get("backend")}".`);
  const remoteFlags = BACKEND_OPTIONS.filter((o) => o !== "backend" && args.options.has(o));
  if (backend.data === "local") {
    if (remoteFlags.length > 0) throw new UsageError(`--${remoteFlags[0]} needs --backend remote.`);
    const model = path.resolve(requiredOption(args, "model"));
    return { kind: "local", model, label: model, makeEngine: makeLocal };
  }
  if (args.options.has("model"))
    throw new UsageError(
      "--model is a local GGUF file; with --backend remote name the server's model with --remote-model.",
    );
  for (const local of ["threads", "gpu"])
    if (args.options.has(local)) throw new UsageError(`--${local} applies to the local backend only.`);
  const url = normalizeServerUrl(requiredOption(args, "remote-url"));
  if (!url.ok) throw new UsageError(`--remote-url: ${url.message}`);
  const route = CompletionRouteSchema.safeParse(args.options.get("remote-route") ?? "auto");
  if (!route.success)
    throw new UsageError(`--remote-route must be one of ${CompletionRouteSchema.options.join(", ")}.`);
  const family = FimFamilySettingSchema.safeParse(args.options.get("fim-family") ?? "auto");
  if (!family.success)
    throw new UsageError(`--fim-family must be one of ${FimFamilySettingSchema.options.join(", ")}.`);
  const model = args.options.get("remote-model") ?? ONLY_SERVED_MODEL;
  const apiKey = process.env[API_KEY_ENV] || undefined;
  return {
    kind: "remote",
    model,
    label: model ? `"${model}" on ${url.url}` : url.url,
    makeEngine: () =>
      new RemoteEngine({
        url: url.url,
        apiKey,
        completionRoute: route.data,
        fimFamily: family.data,
        healthRetryMs: 0,
        log,
      }),
  };
}
