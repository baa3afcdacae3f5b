/**
 * What configures the remote backend (the VS Code settings and the CLI flags map onto this), and
 * the server URL's normal form. The API key is not here on purpose: it comes from VS Code's
 * SecretStorage or the LCA_REMOTE_API_KEY environment variable, never from settings or flags.
 */
import * as z from "zod";
import { FIM_FAMILIES } from "./fimTemplates";

export const BackendSchema = z.enum(["local", "remote"]);
export type Backend = z.infer<typeof BackendSchema>;

/** How FIM prompts are sent: auto picks per server (see docs/remote-backend.md). */
export const CompletionRouteSchema = z.enum(["auto", "infill", "completions"]);
export type CompletionRoute = z.infer<typeof CompletionRouteSchema>;

export const FimFamilySettingSchema = z.enum(["auto", ...FIM_FAMILIES]);
export type FimFamilySetting = z.infer<typeof FimFamilySettingSchema>;

/** "The server's only model": the model names may be left empty when the server serves one. */
export const ONLY_SERVED_MODEL = "";

export const RemoteSettingsSchema = z.object({
  url: z.string().min(1, "the remote server URL is empty"),
  completionModel: z.string().default(ONLY_SERVED_MODEL),
  chatModel: z.string().default(ONLY_SERVED_MODEL),
  completionRoute: CompletionRouteSchema.default("auto"),
  fimFamily: FimFamilySettingSchema.default("auto"),
  /** Time to the response headers (llama-server sends them with the first token). */
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(60_000),
  /** Longest silence inside a streamed answer before it is abandoned as stalled. */
  stallTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
});
export type RemoteSettings = z.infer<typeof RemoteSettingsSchema>;
export type RemoteSettingsInput = z.input<typeof RemoteSettingsSchema>;

export type UrlCheck = { ok: true; url: string } | { ok: false; message: string };

/**
 * The server's root URL: http(s) only, no credentials, no query; a trailing "/" or "/v1" is
 * dropped (people paste the OpenAI base URL). Paths are appended to it ("/v1/models").
 */
export function normalizeServerUrl(raw: string): UrlCheck {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `"${raw}" is not a URL; expected something like http://127.0.0.1:8080.` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return {
      ok: false,
      message: `${url.protocol} is not supported; the server URL must start with http:// or https://.`,
    };
  if (url.username || url.password)
    return {
      ok: false,
      message: "The server URL must not contain a user name or password; store the API key as a secret instead.",
    };
  if (url.search || url.hash) return { ok: false, message: "The server URL must not have a query or fragment." };
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/v1")) path = path.slice(0, -3);
  return { ok: true, url: `${url.protocol}//${url.host}${path}` };
}
