/**
 * Chat settings (`localCode.chat.*`). The lead folds this schema into the global settings schema;
 * the keys here are relative to `localCode.chat`.
 */
import * as z from "zod";

export const DEFAULT_CHAT_SYSTEM_PROMPT =
  "You are a helpful coding assistant running locally in the user's editor. " +
  "Answer concisely and accurately. Use Markdown; put code in fenced code blocks with a language tag. " +
  "If you are not sure, say so.";

export const ChatSettingsSchema = z.object({
  /** Most tokens one answer may generate (also reserved out of the context window). */
  maxTokens: z.number().int().min(16).max(32768).default(1024),
  temperature: z.number().min(0).max(2).default(0.2),
  systemPrompt: z.string().max(20_000).default(DEFAULT_CHAT_SYSTEM_PROMPT),
});
export type ChatSettings = z.infer<typeof ChatSettingsSchema>;

export const DEFAULT_CHAT_SETTINGS: ChatSettings = ChatSettingsSchema.parse({});

/**
 * Parse raw settings leniently: each invalid field falls back to its default instead of failing
 * the whole object (a typo in one setting must not disable chat).
 */
export function parseChatSettings(raw: unknown): ChatSettings {
  const input = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const result: ChatSettings = { ...DEFAULT_CHAT_SETTINGS };
  for (const key of Object.keys(ChatSettingsSchema.shape) as (keyof ChatSettings)[]) {
    const field = ChatSettingsSchema.shape[key].safeParse(input[key]);
    if (field.success) {
      (result as Record<keyof ChatSettings, unknown>)[key] = field.data;
    }
  }
  return result;
}
