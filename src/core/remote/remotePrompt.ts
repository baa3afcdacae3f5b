/**
 * Our FIM prompt (PromptSegments, see completion/templating/fimPrompt.ts) in the two forms a
 * server takes:
 * - text for /v1/completions: special tokens written as the family's token texts, which the
 *   server parses back into control tokens. Same tokens, same order as the local worker's prompt.
 * - an /infill request for llama-server, which lays out the FIM prompt itself from the model's
 *   GGUF tokens: `input_extra` chunks, `input_prefix`, `input_suffix`, and `prompt`. llama-server
 *   (this tag) appends `prompt` to the prefix before its FIM suffix token, whatever its README says,
 *   so /infill is always the server's PSM (or SPM with --spm-infill): psmTail's cursor line goes in
 *   `prompt`, where it lands at the end of the prefix.
 */
import { CHUNK_SEPARATOR } from "../completion/templating/fimPrompt";
import type { PromptSegment, SpecialToken } from "../engine/types";
import { noTemplateReason, type FimFamily, type FimTemplate } from "./fimTemplates";

export type Mapped<T> = { ok: true; value: T } | { ok: false; code: "fimUnsupported" | "badRequest"; message: string };

/** The prompt as text with the template's token texts; a special token the template lacks is an error. */
export function segmentsToTemplateText(
  segments: readonly PromptSegment[],
  template: FimTemplate | null,
  family: FimFamily | null,
  server: string,
): Mapped<string> {
  if (!template) {
    const why = family
      ? noTemplateReason(family)
      : "the model's name matches no FIM family this extension knows (qwen2.5-coder, codegemma, starcoder2, deepseek-coder)";
    return {
      ok: false,
      code: "fimUnsupported",
      message: `Cannot write a fill-in-the-middle prompt for the model on ${server}: ${why}. Set the FIM family in the remote settings, or use llama-server (its /infill endpoint reads the tokens from the model).`,
    };
  }
  const texts: Record<SpecialToken, string | null> = {
    eos: null,
    fimPrefix: template.prefix,
    fimSuffix: template.suffix,
    fimMiddle: template.middle,
    fileSeparator: template.fileSeparator,
    repoName: template.repoName,
  };
  let out = "";
  for (const segment of segments) {
    if ("text" in segment) {
      out += segment.text;
      continue;
    }
    const text = texts[segment.special];
    if (text === null)
      return {
        ok: false,
        code: "badRequest",
        message: `The ${template.family} FIM template has no "${segment.special}" token text.`,
      };
    out += text;
  }
  return { ok: true, value: out };
}

export interface InfillRequestFields {
  input_prefix: string;
  input_suffix: string;
  input_extra: { filename?: string; text: string }[];
  prompt: string;
}

function isSpecial(segment: PromptSegment | undefined, special: SpecialToken): boolean {
  return segment !== undefined && "special" in segment && segment.special === special;
}

function textOf(segment: PromptSegment | undefined): string | null {
  return segment !== undefined && "text" in segment ? segment.text : null;
}

/**
 * Splits segments built by buildFimPrompt into /infill fields. The header before the FIM part
 * becomes `input_extra` (one chunk per file-separator section, or the CHUNK_SEPARATOR-joined
 * snippets); the repo name and the current file's header are left to the server, which writes
 * its own. Anything else (an EOS token, a second FIM part) cannot be expressed and is an error.
 */
export function segmentsToInfill(segments: readonly PromptSegment[]): Mapped<InfillRequestFields> {
  const fail = (why: string): Mapped<InfillRequestFields> => ({
    ok: false,
    code: "badRequest",
    message: `This prompt cannot be sent to /infill: ${why}.`,
  });
  const fimStart = segments.findIndex((s) => isSpecial(s, "fimPrefix") || isSpecial(s, "fimSuffix"));
  if (fimStart === -1) return fail("it has no FIM prefix or suffix token");

  // --- the header: extra context
  const extra: { filename?: string; text: string }[] = [];
  let i = 0;
  if (isSpecial(segments[0], "repoName")) {
    if (textOf(segments[1]) === null) return fail("the repo name token is not followed by a name");
    i = 2;
  }
  if (
    i < fimStart &&
    textOf(segments[i]) !== null &&
    !isSpecial(segments[i + 1], "fileSeparator") &&
    i + 1 === fimStart
  ) {
    // No file-separator token: snippets joined with CHUNK_SEPARATOR.
    const header = textOf(segments[i]) as string;
    const parts = header.split(CHUNK_SEPARATOR);
    if (parts[0] !== "") return fail("text before the extra context");
    for (const part of parts.slice(1)) extra.push({ text: part.endsWith("\n") ? part.slice(0, -1) : part });
    i++;
  }
  const sections: { filename: string; text: string }[] = [];
  while (i < fimStart) {
    if (!isSpecial(segments[i], "fileSeparator"))
      return fail(`unexpected ${describe(segments[i])} before the FIM part`);
    const body = textOf(segments[i + 1]);
    if (body === null) return fail("a file separator without a file name");
    const newline = body.indexOf("\n");
    sections.push(
      newline === -1
        ? { filename: body, text: "" }
        : { filename: body.slice(0, newline), text: body.slice(newline + 1) },
    );
    i += 2;
  }
  if (i !== fimStart) return fail("the extra context runs into the FIM part");
  // The last section is the current file's header (name only): llama-server writes its own.
  if (sections.length > 0) {
    const current = sections.pop() as { filename: string; text: string };
    if (current.text !== "") return fail("the current file's header has text after its name");
  }
  for (const s of sections)
    extra.push({ filename: s.filename, text: s.text.endsWith("\n") ? s.text.slice(0, -1) : s.text });

  // --- the FIM part: PRE p SUF s MID [tail] or SUF s PRE p MID
  const fim = segments.slice(fimStart);
  const at = (k: number) => fim[k];
  const textAt = (k: number): string | undefined => {
    const t = textOf(at(k));
    return t === null ? undefined : t;
  };
  // Text segments may be absent when empty (the builder drops empty text).
  const read = (special: SpecialToken, k: number): { text: string; next: number } | null => {
    if (!isSpecial(at(k), special)) return null;
    const t = textAt(k + 1);
    return t === undefined ? { text: "", next: k + 1 } : { text: t, next: k + 2 };
  };
  // PSM order puts the prefix first, SPM the suffix; the middle token follows either way.
  const prefixFirst = isSpecial(at(0), "fimPrefix");
  const order = prefixFirst ? (["fimPrefix", "fimSuffix"] as const) : (["fimSuffix", "fimPrefix"] as const);
  const first = read(order[0], 0);
  const second = first && read(order[1], first.next);
  if (!first || !second)
    return fail(`expected FIM ${prefixFirst ? "prefix, suffix" : "suffix, prefix"}, middle in that order`);
  const [prefix, suffix] = prefixFirst ? [first.text, second.text] : [second.text, first.text];
  const k = second.next;
  if (!isSpecial(at(k), "fimMiddle")) return fail("the FIM middle token is missing");
  const tail = textAt(k + 1) ?? "";
  const end = k + 1 + (textAt(k + 1) === undefined ? 0 : 1);
  if (end !== fim.length) return fail(`unexpected ${describe(at(end))} after the FIM middle token`);
  return { ok: true, value: { input_prefix: prefix, input_suffix: suffix, input_extra: extra, prompt: tail } };
}

function describe(segment: PromptSegment | undefined): string {
  if (!segment) return "end";
  return "text" in segment ? "text" : `"${segment.special}" token`;
}
