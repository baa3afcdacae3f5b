/**
 * The protocol between the chat webview and the extension. Both sides parse every message they
 * receive with these schemas: the webview runs untrusted model output, and the extension must not
 * trust what a (possibly compromised) webview posts.
 *
 * Handshake: the webview posts nothing before `ready`; the extension posts nothing to a webview
 * until that webview has said `ready` (and again after it was hidden and re-created).
 */
import * as z from "zod";

/** Ids are minted by the extension (UUIDs); the bound keeps hostile input cheap to reject. */
export const IdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/);

/** Largest question the webview may send (characters). */
export const MAX_QUESTION_CHARS = 100_000;
/** Largest code block the webview may ask the extension to copy/insert (characters). */
export const MAX_CODE_ACTION_CHARS = 2_000_000;

export const AnswerStatusSchema = z.enum(["streaming", "complete", "stopped", "interrupted", "error"]);
export type AnswerStatus = z.infer<typeof AnswerStatusSchema>;

export const ContextKindSchema = z.enum(["selection", "file", "openFile", "snippet"]);
export type ContextKind = z.infer<typeof ContextKindSchema>;

/** A context attachment as the webview sees it: a chip, never the content itself. */
export const ContextChipSchema = z
  .object({
    id: IdSchema,
    kind: ContextKindSchema,
    label: z.string().max(500),
    /** Longer description for the tooltip (e.g. the workspace-relative path). */
    detail: z.string().max(4000).nullable(),
    tokens: z.number().int().min(0),
    /** True when `tokens` is an estimate (no chat model loaded to count with). */
    approximate: z.boolean(),
  })
  .strict();
export type ContextChip = z.infer<typeof ContextChipSchema>;

export const AnswerViewSchema = z
  .object({
    text: z.string(),
    status: AnswerStatusSchema,
    error: z.string().nullable(),
  })
  .strict();
export type AnswerView = z.infer<typeof AnswerViewSchema>;

export const TurnViewSchema = z
  .object({
    id: IdSchema,
    question: z
      .object({
        text: z.string(),
        /** What to show instead of the raw prompt (e.g. "Summarize selection"); null shows text. */
        display: z.string().nullable(),
        context: z.array(ContextChipSchema),
      })
      .strict(),
    answer: AnswerViewSchema.nullable(),
    /** Visible notes, e.g. that older turns were left out to fit the context window. */
    notes: z.array(z.string()),
  })
  .strict();
export type TurnView = z.infer<typeof TurnViewSchema>;

export const HistoryEntrySchema = z
  .object({
    id: IdSchema,
    title: z.string(),
    updatedAt: z.number(),
    turns: z.number().int().min(0),
  })
  .strict();
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const EngineViewSchema = z
  .object({
    state: z.enum(["stopped", "starting", "ready", "loading", "crashed", "failed"]),
    /** Human-readable detail for non-ready states. */
    detail: z.string().nullable(),
    /** Name of the loaded chat model, if any. */
    model: z.string().nullable(),
    contextSize: z.number().int().nullable(),
    /** Where the model runs: null on this machine, else the remote server's URL (the empty chat says where questions go). */
    runsOn: z.string().max(2000).nullable(),
  })
  .strict();
export type EngineView = z.infer<typeof EngineViewSchema>;

export const ViewStateSchema = z
  .object({
    conversation: z
      .object({
        id: IdSchema,
        title: z.string(),
        turns: z.array(TurnViewSchema),
      })
      .strict(),
    pendingContext: z.array(ContextChipSchema),
    history: z.array(HistoryEntrySchema),
    busy: z.boolean(),
    engine: EngineViewSchema,
  })
  .strict();
export type ViewState = z.infer<typeof ViewStateSchema>;

/** "apply" opens the hunk-by-hunk review of the block against the file it belongs to. */
export const CodeActionSchema = z.enum(["copy", "insert", "newFile", "apply"]);
export type CodeAction = z.infer<typeof CodeActionSchema>;

export const AttachSourceSchema = z.enum(["selection", "currentFile", "openFiles"]);
export type AttachSource = z.infer<typeof AttachSourceSchema>;

/** Messages, webview -> extension. */
export const WebviewMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }).strict(),
  z.object({ type: z.literal("send"), text: z.string().trim().min(1).max(MAX_QUESTION_CHARS) }).strict(),
  z.object({ type: z.literal("stop") }).strict(),
  z.object({ type: z.literal("regenerate") }).strict(),
  z.object({ type: z.literal("editLast"), text: z.string().trim().min(1).max(MAX_QUESTION_CHARS) }).strict(),
  z.object({ type: z.literal("newChat") }).strict(),
  z.object({ type: z.literal("openConversation"), id: IdSchema }).strict(),
  z.object({ type: z.literal("deleteConversation"), id: IdSchema }).strict(),
  z.object({ type: z.literal("renameConversation"), id: IdSchema, title: z.string().trim().min(1).max(200) }).strict(),
  z.object({ type: z.literal("attachContext"), source: AttachSourceSchema }).strict(),
  z.object({ type: z.literal("removeContext"), id: IdSchema }).strict(),
  /**
   * "@" typed in the question box (or the Add Context button): the extension opens its picker of
   * files, symbols, Problems, the git diff and a workspace search. `draft` is the question so far
   * (the search looks for its words).
   */
  z.object({ type: z.literal("mention"), draft: z.string().max(MAX_QUESTION_CHARS) }).strict(),
  z
    .object({
      type: z.literal("codeAction"),
      action: CodeActionSchema,
      code: z.string().max(MAX_CODE_ACTION_CHARS),
      language: z
        .string()
        .max(64)
        .regex(/^[A-Za-z0-9_+#.-]*$/)
        .nullable(),
      /** The exchange the block is from (Apply uses the selection the question was about). */
      turnId: IdSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal("copyText"), text: z.string().max(MAX_CODE_ACTION_CHARS) }).strict(),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

/** Messages, extension -> webview. */
export const ExtensionMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("state"), state: ViewStateSchema }).strict(),
  /** A streamed piece of the answer to `turnId`; appended to what the webview has. */
  z.object({ type: z.literal("chunk"), conversationId: IdSchema, turnId: IdSchema, text: z.string() }).strict(),
  z.object({ type: z.literal("focusInput") }).strict(),
  z
    .object({ type: z.literal("notice"), level: z.enum(["info", "warning", "error"]), message: z.string().max(2000) })
    .strict(),
]);
export type ExtensionMessage = z.infer<typeof ExtensionMessageSchema>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, raw: unknown): ParseResult<T> {
  const result = schema.safeParse(raw);
  if (result.success) {
    return { ok: true, message: result.data };
  }
  const type =
    typeof raw === "object" && raw !== null && "type" in raw
      ? String((raw as { type: unknown }).type).slice(0, 40)
      : typeof raw;
  return {
    ok: false,
    error: `invalid message (${type}): ${result.error.issues.map((i) => `${i.path.join(".") || "<root>"}: ${i.message}`).join("; ")}`,
  };
}

/** Validate what the extension received from the webview. */
export function parseWebviewMessage(raw: unknown): ParseResult<WebviewMessage> {
  return parseWith(WebviewMessageSchema, raw);
}

/** Validate what the webview received from the extension. */
export function parseExtensionMessage(raw: unknown): ParseResult<ExtensionMessage> {
  return parseWith(ExtensionMessageSchema, raw);
}
