/**
 * FIM token texts per model family, for servers reached through /v1/completions: the prompt is
 * sent as text, and the server (llama-server, vLLM) turns the special-token texts back into the
 * model's control tokens. Only families whose texts come from a source are listed; a family known
 * by name but without verified texts maps to null, which callers turn into a clear error.
 *
 * Sources:
 * - qwen2.5-coder, codegemma: the model catalog (src/core/models/catalog.json, from
 *   shared/catalog/models-research.json: QwenLM README, ai.google.dev).
 * - starcoder2: the vocabulary llama.cpp ships for its tokenizer tests
 *   (models/ggml-vocab-starcoder.gguf in node-llama-cpp's llama/gitRelease.bundle):
 *   <fim_prefix> <fim_suffix> <fim_middle> <fim_pad> <repo_name> <file_sep>.
 * - deepseek-coder: the same bundle's models/ggml-vocab-deepseek-coder.gguf has
 *   <｜fim▁begin｜> <｜fim▁hole｜> <｜fim▁end｜>, and llama.cpp's src/llama-vocab.cpp maps them
 *   to FIM prefix, suffix and middle. No file-separator or repo-name token.
 * - codellama: its tokens are SentencePiece pieces ("▁<PRE>" in llama-vocab.cpp) whose plain-text
 *   form in a prompt was not verified; use llama-server's /infill, which knows them from the GGUF.
 */
import { findModel } from "../models/catalog";
import type { SpecialToken } from "../engine/types";

export const FIM_FAMILIES = ["qwen2.5-coder", "codegemma", "starcoder2", "deepseek-coder", "codellama"] as const;
export type FimFamily = (typeof FIM_FAMILIES)[number];

export interface FimTemplate {
  family: FimFamily;
  prefix: string;
  suffix: string;
  middle: string;
  fileSeparator: string | null;
  repoName: string | null;
  /** Where the texts come from. */
  source: string;
}

/** Texts of the roles a template can fill, by our special-token names. */
export type TemplateRole = Exclude<SpecialToken, "eos">;

function fromCatalog(family: FimFamily, catalogId: string): FimTemplate | null {
  const fim = findModel(catalogId)?.fim;
  if (!fim) return null;
  return {
    family,
    prefix: fim.prefix,
    suffix: fim.suffix,
    middle: fim.middle,
    fileSeparator: fim.fileSeparator,
    repoName: fim.repoName,
    source: `model catalog (${catalogId})`,
  };
}

const TEMPLATES: Readonly<Record<FimFamily, () => FimTemplate | null>> = {
  "qwen2.5-coder": () => fromCatalog("qwen2.5-coder", "qwen2.5-coder-1.5b"),
  codegemma: () => fromCatalog("codegemma", "codegemma-2b"),
  starcoder2: () => ({
    family: "starcoder2",
    prefix: "<fim_prefix>",
    suffix: "<fim_suffix>",
    middle: "<fim_middle>",
    fileSeparator: "<file_sep>",
    repoName: "<repo_name>",
    source: "llama.cpp models/ggml-vocab-starcoder.gguf",
  }),
  "deepseek-coder": () => ({
    family: "deepseek-coder",
    prefix: "<｜fim▁begin｜>",
    suffix: "<｜fim▁hole｜>",
    middle: "<｜fim▁end｜>",
    fileSeparator: null,
    repoName: null,
    source: "llama.cpp models/ggml-vocab-deepseek-coder.gguf and src/llama-vocab.cpp",
  }),
  codellama: () => null,
};

/** Why a family has no template (for the error message). */
const NO_TEMPLATE_REASON: Partial<Record<FimFamily, string>> = {
  codellama:
    'CodeLlama\'s FIM tokens are SentencePiece pieces ("▁<PRE>") whose text form in a /v1/completions prompt is not verified; serve it with llama-server, whose /infill knows them',
};

export function fimTemplate(family: FimFamily): FimTemplate | null {
  return TEMPLATES[family]();
}

export function noTemplateReason(family: FimFamily): string {
  return NO_TEMPLATE_REASON[family] ?? `no verified FIM token texts for ${family}`;
}

/** Name patterns, most specific first. A name matching none has no known family. */
const NAME_PATTERNS: readonly [RegExp, FimFamily][] = [
  [/codegemma/i, "codegemma"],
  [/qwen[\d.]*[-_ ]?coder/i, "qwen2.5-coder"],
  [/starcoder[-_ ]?2/i, "starcoder2"],
  [/deepseek[-_ ]?coder(?![-_ ]?v2)/i, "deepseek-coder"],
  [/code[-_ ]?llama/i, "codellama"],
];

/** The FIM family a served model's name points to (e.g. "qwen2.5-coder:1.5b-base", "Qwen/Qwen2.5-Coder-7B"). */
export function familyFromModelName(name: string): FimFamily | null {
  for (const [pattern, family] of NAME_PATTERNS) if (pattern.test(name)) return family;
  return null;
}

/** Every text a template of a known family uses, to verify against a server's vocabulary. */
export function candidateTokenTexts(): string[] {
  const texts = new Set<string>();
  for (const family of FIM_FAMILIES) {
    const t = fimTemplate(family);
    if (!t) continue;
    for (const text of [t.prefix, t.suffix, t.middle, t.fileSeparator, t.repoName]) if (text) texts.add(text);
  }
  return [...texts];
}

/**
 * The template a server's vocabulary confirms: `isSingleToken(text)` says whether the server
 * tokenizes that text into exactly one token that renders back as the text. A family qualifies
 * when its three FIM texts are tokens; its file-separator / repo-name texts are kept only if they
 * are tokens too. Among qualifying families the one with the most confirmed tokens wins.
 */
export function templateFromVocabulary(isSingleToken: (text: string) => boolean): FimTemplate | null {
  let best: { template: FimTemplate; score: number } | null = null;
  for (const family of FIM_FAMILIES) {
    const t = fimTemplate(family);
    if (!t || !isSingleToken(t.prefix) || !isSingleToken(t.suffix) || !isSingleToken(t.middle)) continue;
    const fileSeparator = t.fileSeparator && isSingleToken(t.fileSeparator) ? t.fileSeparator : null;
    const repoName = t.repoName && isSingleToken(t.repoName) ? t.repoName : null;
    const score = 3 + (fileSeparator ? 1 : 0) + (repoName ? 1 : 0);
    if (!best || score > best.score)
      best = {
        template: { ...t, fileSeparator, repoName, source: `${t.source}; confirmed by the server's tokenizer` },
        score,
      };
  }
  return best?.template ?? null;
}

/** Which of our special tokens a template can write. */
export function templateSpecialTokens(template: FimTemplate | null): Record<SpecialToken, boolean> {
  return {
    eos: false,
    fimPrefix: template !== null,
    fimSuffix: template !== null,
    fimMiddle: template !== null,
    fileSeparator: template?.fileSeparator != null,
    repoName: template?.repoName != null,
  };
}
