/**
 * The persisted chat model. Conversations are stored as JSON in a key-value store and validated
 * with these schemas when read back, so a corrupt or older entry is dropped instead of crashing.
 */
import * as z from "zod";
import { AnswerViewSchema, ContextKindSchema, IdSchema } from "../protocol/webviewProtocol";

export type { AnswerStatus, ContextKind } from "../protocol/webviewProtocol";

export const LineRangeSchema = z
  .object({
    /** 1-based, inclusive. */
    startLine: z.number().int().min(1),
    endLine: z.number().int().min(1),
  })
  .strict();
export type LineRange = z.infer<typeof LineRangeSchema>;

/** A piece of context the user attached (snapshot taken when it was attached). */
export const ContextItemSchema = z
  .object({
    id: IdSchema,
    kind: ContextKindSchema,
    /** Short chip label, e.g. "main.ts:10-20". */
    label: z.string().max(500),
    /** Workspace-relative path (or file name) shown to the model. */
    path: z.string().max(4000).nullable(),
    languageId: z.string().max(100).nullable(),
    range: LineRangeSchema.nullable(),
    content: z.string(),
    tokens: z.number().int().min(0),
    approximate: z.boolean(),
  })
  .strict();
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

export const TurnSchema = z
  .object({
    id: IdSchema,
    question: z
      .object({
        /** The prompt sent to the model. */
        text: z.string(),
        /** Shown instead of `text` when set (e.g. "Summarize selection"). */
        display: z.string().nullable(),
        context: z.array(ContextItemSchema),
      })
      .strict(),
    answer: AnswerSchema.nullable(),
    notes: z.array(z.string()),
    createdAt: z.number(),
  })
  .strict();
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
