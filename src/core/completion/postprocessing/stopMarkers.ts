/**
 * End-of-generation and FIM control tokens that may show up as text in model output. The worker
 * stops on the model's own end-of-generation tokens; these catch the ones rendered as text.
 * (`</s>` and CodeLlama's `<PRE>`-style names are left out: they occur in real HTML/XML.)
 */
export const STOP_MARKERS: readonly string[] = [
  "<|endoftext|>",
  "<|fim_pad|>",
  "<|file_sep|>",
  "<|im_end|>",
  "<|im_start|>",
  "<|fim_prefix|>",
  "<|fim_suffix|>",
  "<|fim_middle|>",
  "<|repo_name|>",
  "<EOT>",
  "<|EOT|>",
  "<fim_prefix>",
  "<fim_suffix>",
  "<fim_middle>",
  "<fim_pad>",
  "<file_sep>",
  "<reponame>",
  "<|file_separator|>",
  "<|end_of_text|>",
  "<|eot_id|>",
  "<｜fim▁begin｜>",
  "<｜fim▁hole｜>",
  "<｜fim▁end｜>",
  "<｜end▁of▁sentence｜>",
];

/**
 * The subset sent to the engine as stop strings (the protocol allows 16; one slot is kept for the
 * "\n" a single-line request adds).
 */
export const ENGINE_STOP_STRINGS: readonly string[] = [
  "<|endoftext|>",
  "<|fim_pad|>",
  "<|file_sep|>",
  "<|im_end|>",
  "<|fim_prefix|>",
  "<|fim_suffix|>",
  "<|fim_middle|>",
  "<EOT>",
  "<|EOT|>",
  "<fim_prefix>",
  "<fim_middle>",
  "<file_sep>",
  "<|file_separator|>",
  "<|end_of_text|>",
  "<｜fim▁begin｜>",
];

/** Cuts the text at the first stop marker; `found` tells whether one was there. */
export function cutAtStopMarker(
  text: string,
  markers: readonly string[] = STOP_MARKERS,
): { text: string; found: boolean } {
  let cut = -1;
  for (const marker of markers) {
    const at = text.indexOf(marker);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut < 0 ? { text, found: false } : { text: text.slice(0, cut), found: true };
}
