/**
 * The one schema for the extension's settings (`localCode.*`). The VS Code adapter reads the raw
 * values and passes them here; a unit test runs package.json's contributed defaults through it
 * so the two never drift.
 */
import * as path from "node:path";
import * as z from "zod";
import { GpuSettingSchema } from "../engine/types";
import { CompletionSettingsSchema } from "../completion/settings";
import { ChatSettingsSchema } from "../chat/settings";
import { BackendSchema, normalizeServerUrl, RemoteSettingsSchema } from "../remote/remoteConfig";

/** "auto", a catalog id optionally with ":QUANT", or an absolute path to a .gguf file. */
export const ModelSettingSchema = z
  .string()
  .trim()
  .min(1, "must not be empty: use \"auto\", a catalog id such as qwen2.5-coder-1.5b, or an absolute path to a .gguf file")
  .refine((value) => value === "auto" || !looksLikePath(value) || (path.isAbsolute(value) && value.toLowerCase().endsWith(".gguf")), {
    message: "a model path must be absolute and end in .gguf",
  });

function looksLikePath(value: string): boolean {
  return value.includes("/") || value.includes("\\") || value.toLowerCase().endsWith(".gguf");
}

export function isModelPath(value: string): boolean {
  return value !== "auto" && looksLikePath(value);
}

/**
 * `localCode.remote.*`: part 1's remote schema, except that the URL may be empty (the backend is
 * local until one is set) and is checked as a URL when it is not.
 */
export const RemoteSectionSchema = RemoteSettingsSchema.extend({
  url: z
    .string()
    .trim()
    .default("")
    .superRefine((value, ctx) => {
      if (value === "") return;
      const check = normalizeServerUrl(value);
      if (!check.ok) ctx.addIssue({ code: "custom", message: check.message });
    }),
});
export type RemoteSection = z.infer<typeof RemoteSectionSchema>;

export const SettingsSchema = z.object({
  backend: BackendSchema.default("local"),
  remote: RemoteSectionSchema.prefault({}),
  threads: z.number().int().min(0).max(512).default(0),
  gpu: GpuSettingSchema.default("auto"),
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("info"),
  quantPolicy: z.enum(["quality", "balanced", "speed"]).default("balanced"),
  downloadEndpoint: z.url({ protocol: /^https?$/ }).default("https://huggingface.co"),
  /** Where catalog models are downloaded to; "" = the extension's global storage. */
  modelsFolder: z
    .string()
    .trim()
    .refine((value) => value === "" || path.isAbsolute(value), { message: "must be empty (the extension's own storage) or an absolute folder path" })
    .default(""),
  // prefault({}) (not default) so the inner defaults apply when the whole section is absent.
  completion: CompletionSettingsSchema.extend({
    model: ModelSettingSchema.default("auto"),
    contextSize: z.number().int().min(256).max(131072).default(4096),
  }).prefault({}),
  chat: ChatSettingsSchema.extend({
    model: ModelSettingSchema.default("auto"),
    contextSize: z.number().int().min(512).max(131072).default(8192),
  }).prefault({}),
});
export type Settings = z.infer<typeof SettingsSchema>;

export interface SettingsResult {
  settings: Settings;
  /** One readable line per bad setting, naming it. */
  errors: string[];
  /** Dotted keys (e.g. "completion.model") whose values were rejected. */
  invalidKeys: string[];
}

/**
 * Validates raw settings. On error each bad setting is named; the others keep their values. Callers
 * must not act on an invalid key's default where that would be wrong (a bad model path must not
 * turn into "auto" and start a download): `invalidKeys` says which.
 */
export function parseSettings(raw: unknown): SettingsResult {
  const parsed = SettingsSchema.safeParse(raw ?? {});
  if (parsed.success) return { settings: parsed.data, errors: [], invalidKeys: [] };
  const errors = parsed.error.issues.map((issue) => `localCode.${issue.path.join(".")}: ${issue.message}`);
  // A JSON copy, not structuredClone: VS Code hands settings out as read-only proxies, which
  // structuredClone refuses.
  const cleaned = JSON.parse(JSON.stringify(raw ?? {})) as Record<string, unknown>;
  for (const issue of parsed.error.issues) deletePath(cleaned, issue.path.map(String));
  const fallback = SettingsSchema.safeParse(cleaned);
  const invalidKeys = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))];
  return { errors, invalidKeys, settings: fallback.success ? fallback.data : SettingsSchema.parse({}) };
}

function deletePath(target: Record<string, unknown>, keys: string[]): void {
  let node: unknown = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === "object" && node !== null) delete (node as Record<string, unknown>)[keys[keys.length - 1]];
}

/** What the extension should run, from the settings: the local worker, a server, or a named problem (never a silent fallback to local). */
export type BackendPlan =
  | { kind: "local" }
  | { kind: "remote"; url: string; remote: RemoteSection }
  | { kind: "misconfigured"; problem: string };

export function backendPlan(result: Pick<SettingsResult, "settings" | "invalidKeys">): BackendPlan {
  const { settings, invalidKeys } = result;
  if (invalidKeys.includes("backend")) return { kind: "misconfigured", problem: "The setting localCode.backend is invalid (local or remote); fix it in Settings." };
  if (settings.backend === "local") return { kind: "local" };
  const badRemote = invalidKeys.filter((key) => key.startsWith("remote."));
  if (badRemote.length > 0) return { kind: "misconfigured", problem: `The setting localCode.${badRemote[0]} is invalid; fix it in Settings (localCode.backend is remote).` };
  if (settings.remote.url === "") return { kind: "misconfigured", problem: "localCode.backend is remote but localCode.remote.url is empty: set the server URL (e.g. http://127.0.0.1:8080) in Settings." };
  const url = normalizeServerUrl(settings.remote.url);
  if (!url.ok) return { kind: "misconfigured", problem: `localCode.remote.url: ${url.message}` };
  return { kind: "remote", url: url.url, remote: settings.remote };
}
