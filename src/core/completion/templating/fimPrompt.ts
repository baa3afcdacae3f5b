/**
 * Builds the FIM prompt as PromptSegments (text + the model's own special tokens).
 *
 * Stable text goes first (the engine adds BOS itself; then repo name, other files' chunks, the file header), then the
 * layout's FIM part:
 *   psm:     PRE prefix SUF suffix MID
 *   psmTail: PRE prefix-up-to-anchor-line SUF suffix MID anchor-line..cursor
 *   spm:     SUF suffix PRE prefix MID
 * node-llama-cpp reuses the KV cache only for the unchanged start of the token sequence. In psm a
 * keystroke changes the end of the prefix, so the whole suffix is evaluated again; in psmTail only
 * the text after MID is: the lines from an anchor line (a multiple of `tailLines`) to the cursor,
 * so a new line costs its own tokens and the suffix is evaluated again only when the anchor moves,
 * once every `tailLines` lines (tailLines 1: the cursor line only, every new line pays the suffix).
 * spm re-evaluates only the tail always but needs a model trained on SPM order.
 */
import type { PromptSegment, SpecialToken } from "../../engine/types";
import type { FimLayout } from "../settings";

export type SpecialTokenAvailability = Partial<Record<SpecialToken, boolean>>;

export interface FimPromptInput {
  layout: FimLayout;
  /** Windowed, LF text. */
  prefix: string;
  suffix: string;
  specialTokens: SpecialTokenAvailability;
  /** Path of the current file, used in its header when the model has a file-separator token. */
  filePath?: string;
  /** Used with the repo-name token when the model has one. */
  repoName?: string;
  extraChunks?: readonly { path: string; text: string }[];
  /**
   * psmTail: how many lines of the prefix, the cursor line included, go after MID (default 1). The
   * pipeline derives it from the cursor's line number with `psmTailLines`, so the cut stays put.
   */
  tailLines?: number;
}

/**
 * Lines after MID for a cursor on 0-based document line `cursorLine`: back to the last line whose
 * number is a multiple of `anchorLines`, so the PRE/SUF part changes only every `anchorLines` lines.
 */
export function psmTailLines(cursorLine: number, anchorLines: number): number {
  const n = Math.max(1, Math.floor(anchorLines));
  return (Math.max(0, cursorLine) % n) + 1;
}

/** Start index of the last `lines` lines of `text` (the last line is the one without "\n"). */
function startOfLastLines(text: string, lines: number): number {
  let at = text.length;
  for (let i = 0; i < lines; i++) {
    if (at === 0) return 0;
    const nl = text.lastIndexOf("\n", at - 1);
    if (nl < 0) return 0;
    at = nl;
  }
  return at + 1;
}

export type FimPromptResult =
  | { ok: true; segments: PromptSegment[]; layout: FimLayout }
  | { ok: false; error: "fimUnsupported"; missing: SpecialToken[]; message: string };

const FIM_TOKENS = ["fimPrefix", "fimSuffix", "fimMiddle"] as const;

/** Separator between chunks for models without a file-separator token (as llama-server). */
export const CHUNK_SEPARATOR = "\n\n--- snippet ---\n\n";

export function missingFimTokens(tokens: SpecialTokenAvailability): SpecialToken[] {
  return FIM_TOKENS.filter((t) => tokens[t] !== true);
}

class SegmentBuilder {
  readonly segments: PromptSegment[] = [];
  text(text: string): this {
    if (text.length === 0) return this;
    const last = this.segments[this.segments.length - 1];
    if (last && "text" in last) this.segments[this.segments.length - 1] = { text: last.text + text };
    else this.segments.push({ text });
    return this;
  }
  special(special: SpecialToken): this {
    this.segments.push({ special });
    return this;
  }
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : text + "\n";
}

export function fimUnsupportedMessage(missing: readonly SpecialToken[]): string {
  return `The completion model has no fill-in-the-middle tokens (missing: ${missing.join(", ")}); choose a code model with FIM support.`;
}

export function buildFimPrompt(input: FimPromptInput): FimPromptResult {
  const missing = missingFimTokens(input.specialTokens);
  if (missing.length > 0)
    return { ok: false, error: "fimUnsupported", missing, message: fimUnsupportedMessage(missing) };
  const b = new SegmentBuilder();

  const chunks = input.extraChunks ?? [];
  if (input.specialTokens.fileSeparator) {
    if (input.specialTokens.repoName && input.repoName) b.special("repoName").text(input.repoName + "\n");
    for (const chunk of chunks) b.special("fileSeparator").text(chunk.path + "\n" + withNewline(chunk.text));
    if (input.filePath || chunks.length > 0) b.special("fileSeparator").text((input.filePath ?? "untitled") + "\n");
  } else {
    for (const chunk of chunks) b.text(CHUNK_SEPARATOR + withNewline(chunk.text));
  }

  const { prefix, suffix } = input;
  switch (input.layout) {
    case "psm":
      b.special("fimPrefix").text(prefix).special("fimSuffix").text(suffix).special("fimMiddle");
      break;
    case "psmTail": {
      const cut = startOfLastLines(prefix, Math.max(1, input.tailLines ?? 1));
      b.special("fimPrefix")
        .text(prefix.slice(0, cut))
        .special("fimSuffix")
        .text(suffix)
        .special("fimMiddle")
        .text(prefix.slice(cut));
      break;
    }
    case "spm":
      b.special("fimSuffix").text(suffix).special("fimPrefix").text(prefix).special("fimMiddle");
      break;
  }
  return { ok: true, segments: b.segments, layout: input.layout };
}

/** Readable form for logs and tests: special tokens as <name>. */
export function renderSegments(segments: readonly PromptSegment[]): string {
  return segments.map((s) => ("text" in s ? s.text : `<${s.special}>`)).join("");
}
