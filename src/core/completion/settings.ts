/** Settings for inline completion; folded into the global settings schema by the settings owner. */
import * as z from "zod";

/**
 * Prompt layouts. "psmTail" is the default: PSM order (what FIM models are trained on) with the
 * cursor line's text moved after the middle token, so a keystroke only changes the prompt's tail.
 */
export const FimLayoutSchema = z.enum(["psm", "psmTail", "spm"]);
export type FimLayout = z.infer<typeof FimLayoutSchema>;

export const CompletionSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  /** VS Code language ids where automatic completion stays off (a manual trigger still runs). */
  disabledLanguages: z.array(z.string().min(1)).default([]),
  /** Base debounce; with adaptiveDebounce it follows the user's typing rhythm within [base/2, base*3]. */
  debounceMs: z.number().int().min(0).max(5000).default(150),
  adaptiveDebounce: z.boolean().default(true),
  maxTokens: z.number().int().min(1).max(1024).default(64),
  /** Generation stops after this long and shows what it has (2-core CPUs generate ~15 tokens/s). */
  timeBudgetMs: z.number().int().min(50).max(60_000).default(3000),
  maxLines: z.number().int().min(1).max(200).default(8),
  maxChars: z.number().int().min(16).max(20_000).default(1000),
  layout: FimLayoutSchema.default("psmTail"),
  /**
   * psmTail: the prefix/suffix part of the prompt ends on a line whose number is a multiple of this,
   * and the lines from there to the cursor go after the middle token; so Enter re-evaluates only its
   * own tokens and the suffix is evaluated again once every tailLines lines. 1: only the cursor line
   * goes after the middle token (every new line re-evaluates the suffix).
   */
  tailLines: z.number().int().min(1).max(64).default(16),
  /**
   * Token budget of the prefix+suffix window (3/4 prefix, 1/4 suffix, unused share moves over).
   * "auto": sized from the loaded model's measured prompt speed (context/promptBudget.ts).
   */
  promptTokens: z.union([z.number().int().min(32).max(32_768), z.literal("auto")]).default(1024),
  /** Token budget for chunks from other files (the extra-context ring). 0 turns it off. */
  extraContextTokens: z.number().int().min(0).max(32_768).default(512),
  /**
   * Token budget for definitions from other files of what is used at the cursor (the call being
   * written, the receiver, the signature's types), from the language's definition provider. 0 turns it off.
   */
  definitionTokens: z.number().int().min(0).max(8_192).default(256),
  /** Pre-compute the completion that follows a shown suggestion, so accepting it shows the next at once. */
  speculative: z.boolean().default(true),
  /**
   * When the cursor lands somewhere new (a file opened, a jump, a click) and the user pauses, evaluate
   * that place's prompt ahead without generating, so the first keystroke there pays only for its own
   * tokens. Never while typing, never on battery (Linux, macOS), superseded by any keystroke.
   */
  warmUp: z.boolean().default(true),
});
export type CompletionSettings = z.infer<typeof CompletionSettingsSchema>;
export type CompletionSettingsInput = z.input<typeof CompletionSettingsSchema>;

export const DEFAULT_COMPLETION_SETTINGS: CompletionSettings = CompletionSettingsSchema.parse({});
