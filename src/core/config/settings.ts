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
import { ContextSettingsSchema } from "../context/exclude";
import { BackendSchema, normalizeServerUrl, RemoteSettingsSchema } from "../remote/remoteConfig";

/** "auto", a catalog id optionally with ":QUANT", or an absolute path to a .gguf file. */
export const ModelSettingSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty: use "auto", a catalog id such as qwen2.5-coder-1.5b, or an absolute path to a .gguf file')
  .refine(
    (value) =>
      value === "auto" || !looksLikePath(value) || (path.isAbsolute(value) && value.toLowerCase().endsWith(".gguf")),
    {
      message: "a model path must be absolute and end in .gguf",
    },
  );

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
  /**
   * Licence ids (the catalog's license.id, e.g. "qwen-research") the user accepted: "auto" only
   * considers a model whose licence needs acceptance once its id is here. A bad entry costs itself.
   */
  acceptedLicences: z
    .array(
      z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be a licence id such as "qwen-research" (letters, digits, . _ -)'),
    )
    .default([]),
  downloadEndpoint: z
    .url({ protocol: /^https?$/ })
    // A password in a setting would be shown and logged: refused, and the message never echoes it.
    .refine((value) => !/^[a-z]+:\/\/[^/?#]*@/i.test(value), { message: "must not contain a user name or password" })
    .default("https://huggingface.co"),
  /** Where catalog models are downloaded to; "" = the extension's global storage. */
  modelsFolder: z
    .string()
    .trim()
    .refine((value) => value === "" || path.isAbsolute(value), {
      message: "must be empty (the extension's own storage) or an absolute folder path",
    })
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
  /** What no context source may read (secrets): see src/core/context/exclude.ts. */
  context: ContextSettingsSchema.prefault({}),
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
 * Validates raw settings. A bad value costs that value only: each bad setting is named and falls
 * back to its default, a bad array element is dropped (the rest of the array stays), and every
 * other setting keeps its value. Callers must not act on an invalid key's default where that
 * would be wrong (a bad model path must not turn into "auto" and start a download):
 * `invalidKeys` says which.
 */
export function parseSettings(raw: unknown): SettingsResult {
  const parsed = SettingsSchema.safeParse(raw ?? {});
  if (parsed.success) return { settings: parsed.data, errors: [], invalidKeys: [] };
  // A JSON copy, not structuredClone: VS Code hands settings out as read-only proxies, which
  // structuredClone refuses.
  const cleaned = JSON.parse(JSON.stringify(raw ?? {})) as Record<string, unknown>;
  const errors: string[] = [];
  const invalidKeys = new Set<string>();
  let issues = parsed.error.issues;
  // Removing a bad value can expose another (a default that a sibling refines against): a few
  // rounds settle it; each round removes at least one value, so it ends.
  for (let round = 0; round < 8; round++) {
    for (const issue of issues) {
      const { key, message } = describeIssue(issue.path, issue.message, cleaned);
      invalidKeys.add(key);
      if (!errors.includes(message)) errors.push(message);
    }
    removePaths(
      cleaned,
      issues.map((issue) => issue.path.map((p) => (typeof p === "number" ? p : String(p)))),
    );
    const again = SettingsSchema.safeParse(cleaned);
    if (again.success) return { errors, invalidKeys: [...invalidKeys], settings: again.data };
    issues = again.error.issues;
  }
  // Last resort, still per field: each top-level setting on its own.
  const settings = Object.fromEntries(
    Object.entries(SettingsSchema.shape).map(([key, schema]) => {
      const field = (schema as z.ZodType).safeParse(cleaned[key]);
      return [key, field.success ? field.data : (schema as z.ZodType).parse(undefined)];
    }),
  ) as Settings;
  return { errors, invalidKeys: [...invalidKeys], settings };
}

/** The setting's dotted key (an array element counts against its array) and a line naming it. */
function describeIssue(
  path: readonly PropertyKey[],
  message: string,
  source: Record<string, unknown>,
): { key: string; message: string } {
  const index = path.findIndex((p) => typeof p === "number");
  if (index < 0) {
    const key = path.map(String).join(".");
    return { key, message: `localCode.${key}: ${message}` };
  }
  const key = path.slice(0, index).map(String).join(".");
  let value: unknown = source;
  for (const p of path.slice(0, index + 1))
    value =
      typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[p as string] : undefined;
  const shown = JSON.stringify(value) ?? "undefined";
  return {
    key,
    message: `localCode.${key}: item ${(path[index] as number) + 1} (${shown.length > 60 ? `${shown.slice(0, 60)}...` : shown}) is ignored: ${message}`,
  };
}

/** Deletes each path; an array element is spliced out (highest index first), not left as a hole. */
function removePaths(target: Record<string, unknown>, paths: (string | number)[][]): void {
  const sorted = [...paths].sort((a, b) => {
    const last = (p: (string | number)[]) => (typeof p[p.length - 1] === "number" ? (p[p.length - 1] as number) : -1);
    return last(b) - last(a);
  });
  for (const keys of sorted) {
    let node: unknown = target;
    for (const key of keys.slice(0, -1)) {
      if (typeof node !== "object" || node === null) break;
      node = (node as Record<string | number, unknown>)[key];
    }
    if (typeof node !== "object" || node === null) continue;
    const last = keys[keys.length - 1];
    if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
    else delete (node as Record<string | number, unknown>)[last];
  }
}

/** What the extension should run, from the settings: the local worker, a server, or a named problem (never a silent fallback to local). */
export type BackendPlan =
  | { kind: "local" }
  | { kind: "remote"; url: string; remote: RemoteSection }
  | { kind: "misconfigured"; problem: string };

export function backendPlan(result: Pick<SettingsResult, "settings" | "invalidKeys">): BackendPlan {
  const { settings, invalidKeys } = result;
  if (invalidKeys.includes("backend"))
    return {
      kind: "misconfigured",
      problem: "The setting localCode.backend is invalid (local or remote); fix it in Settings.",
    };
  if (settings.backend === "local") return { kind: "local" };
  const badRemote = invalidKeys.filter((key) => key.startsWith("remote."));
  if (badRemote.length > 0)
    return {
      kind: "misconfigured",
      problem: `The setting localCode.${badRemote[0]} is invalid; fix it in Settings (localCode.backend is remote).`,
    };
  if (settings.remote.url === "")
    return {
      kind: "misconfigured",
      problem:
        "localCode.backend is remote but localCode.remote.url is empty: set the server URL (e.g. http://127.0.0.1:8080) in Settings.",
    };
  const url = normalizeServerUrl(settings.remote.url);
  if (!url.ok) return { kind: "misconfigured", problem: `localCode.remote.url: ${url.message}` };
  return { kind: "remote", url: url.url, remote: settings.remote };
}
