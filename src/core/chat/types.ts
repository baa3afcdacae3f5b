/**
 * The persisted chat model. Conversations are stored as JSON in a key-value store and validated
 * with these schemas when read back, so a corrupt or older entry is dropped instead of crashing.
 */
import * as z from "zod";
import { AnswerViewSchema, ContextChipSchema, IdSchema, TurnViewSchema } from "../protocol/webviewProtocol";

export type { AnswerStatus, ContextKind } from "../protocol/webviewProtocol";

export const LineRangeSchema = z
  .object({
    /** 1-based, inclusive. */
    startLine: z.number().int().min(1),
    endLine: z.number().int().min(1),
  })
  .strict();
export type LineRange = z.infer<typeof LineRangeSchema>;

/**
 * A piece of context the user attached (snapshot taken when it was attached): the chip the webview
 * shows (id, kind, label, token cost), with what the model reads instead of the chip's tooltip.
 */
export const ContextItemSchema = ContextChipSchema.omit({ detail: true }).extend({
  /** Workspace-relative path (or file name) shown to the model. */
  path: z.string().max(4000).nullable(),
  languageId: z.string().max(100).nullable(),
  range: LineRangeSchema.nullable(),
  content: z.string(),
});
export type ContextItem = z.infer<typeof ContextItemSchema>;

/** What an adapter hands in to attach context; id and token cost are filled in by the controller. */
export interface ContextInput {
  kind: ContextItem["kind"];
  label: string;
  path?: string | null;
  languageId?: string | null;
  range?: LineRange | null;
  content: string;
}

/** A stored answer has the same shape as the one the webview shows. */
export const AnswerSchema = AnswerViewSchema;
export type Answer = z.infer<typeof AnswerSchema>;

/**
 * A stored turn is the turn the webview shows (its `question.text` is the prompt sent to the
 * model), with the full context items instead of chips, and when it was asked.
 */
export const TurnSchema = TurnViewSchema.extend({
  question: TurnViewSchema.shape.question.extend({ context: z.array(ContextItemSchema) }),
  createdAt: z.number(),
});
export type Turn = z.infer<typeof TurnSchema>;

export const ConversationSchema = z
  .object({
    version: z.literal(1),
    id: IdSchema,
    title: z.string(),
    /** True once the title was set explicitly (rename, or a command's display title). */
    customTitle: z.boolean(),
    createdAt: z.number(),
    updatedAt: z.number(),
    turns: z.array(TurnSchema),
  })
  .strict();
export type Conversation = z.infer<typeof ConversationSchema>;
