/**
 * Chat on a base model: a GGUF without a chat template is (almost always) not instruction-tuned.
 * The engine still wraps the conversation in its family's format (Gemma: `<start_of_turn>user` ...),
 * but the model never learnt those special tokens: the real Gemma 3 270M base model writes the next
 * turn's header as PLAIN TEXT ("...France?payments\npaymentsmodel\nYou are a helpful...") and runs
 * on to max tokens, so the stop triggers on the special tokens never fire.
 */

/** Roles a chat format's turn header names (Gemma: user/model; ChatML and most others: user/assistant/system). */
const ROLES = ["user", "model", "assistant", "system"] as const;

/** The turn markers of the formats we know, as the plain text a base model writes instead of the token. */
const MARKER_TEXTS = ["<start_of_turn>", "<end_of_turn>", "<|im_start|>", "<|im_end|>", "<|eot_id|>"] as const;

/**
 * Plain-text stop strings for a chat answer of a model without a chat template: a role header that
 * ends its line ("model\n") and the turn markers written out. An answer line that ends in one of
 * these words is cut there too; for a base model that is the smaller harm than answering for the
 * user and running to max tokens.
 */
export function baseModelChatStops(): string[] {
  return [...ROLES.map((role) => `${role}\n`), ...MARKER_TEXTS];
}

/** Shown on each chat answer of such a model, so a wandering answer is not taken for a bug. */
export const BASE_MODEL_NOTE =
  "This model has no chat template: it is a base model, not instruction-tuned, so it continues your text rather than answering it and its answers may wander. For chat, choose an instruct (chat) model.";
