import * as fs from "node:fs";
import * as path from "node:path";
import type {
  SummaryGenerateFn,
  SummaryGenerateRequest,
  SummaryGeneration,
} from "../../../src/core/summarize/mapReduce";

export const repoRoot = path.resolve(__dirname, "../../../..");

/** Byte-level tokenizer (what the bigram fixtures use): one token per UTF-8 byte. */
export const countBytes = (text: string): number => Buffer.byteLength(text, "utf8");

/**
 * A word-ish tokenizer: words, runs of whitespace and single symbols are one token each. It is
 * not additive (a word cut in two counts twice), like real BPE tokenizers at a cut.
 */
export function countWords(text: string): number {
  return text.match(/[A-Za-z0-9_]+|\s+|[^A-Za-z0-9_\s]/g)?.length ?? 0;
}

/** Prompt tokens of a ChatML prompt for a byte-level model, as the bigram fixture counts them. */
export function chatmlPromptTokens(messages: readonly { role: string; content: string }[]): number {
  // <|im_start|> role \n content <|im_end|> \n, then <|im_start|>assistant\n
  return (
    messages.reduce((sum, m) => sum + 1 + countBytes(m.role) + 1 + countBytes(m.content) + 2, 0) +
    1 +
    countBytes("assistant\n")
  );
}

export interface FakeCall {
  request: SummaryGenerateRequest;
  promptTokens: number;
  /** The call's signal was aborted while it ran. */
  sawAbort: boolean;
}

/**
 * A fake model that records every call. `reply` decides the text; with `delayMs` each call takes
 * that long and rejects (like the engine) when its signal is aborted meanwhile.
 */
export class FakeModel {
  readonly calls: FakeCall[] = [];
  constructor(
    private readonly reply: (request: SummaryGenerateRequest, index: number) => string = (_r, i) => `S${i + 1}`,
    private readonly delayMs = 0,
  ) {}

  readonly generate: SummaryGenerateFn = async (request, options): Promise<SummaryGeneration> => {
    const call: FakeCall = { request, promptTokens: chatmlPromptTokens(request.messages), sawAbort: false };
    this.calls.push(call);
    const text = this.reply(request, this.calls.length - 1);
    if (this.delayMs > 0 || options.signal) {
      await new Promise<void>((resolve, reject) => {
        const signal = options.signal;
        if (signal?.aborted) {
          call.sawAbort = true;
          reject(Object.assign(new Error("cancelled"), { name: "AbortError" }));
          return;
        }
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, this.delayMs);
        const onAbort = () => {
          call.sawAbort = true;
          clearTimeout(timer);
          reject(Object.assign(new Error("cancelled"), { name: "AbortError" }));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    options.onChunk?.(text);
    const generated = countBytes(text);
    return {
      text,
      stopReason: generated >= request.maxTokens ? "maxTokens" : "eogToken",
      promptTokens: call.promptTokens,
      generatedTokens: generated,
    };
  };

  byPurpose(purpose: SummaryGenerateRequest["purpose"]): FakeCall[] {
    return this.calls.filter((call) => call.request.purpose === purpose);
  }
}

/** Deterministic TypeScript-like source of about `bytes` bytes: functions separated by blank lines. */
export function syntheticSource(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 1; size < bytes; i++) {
    const fn =
      `/** Adds ${i} to a value. */\n` +
      `export function add${i}(value: number): number {\n` +
      `  const step = ${i};\n` +
      `  if (value > ${i * 10}) {\n` +
      `    return value - step;\n` +
      `  }\n` +
      `  return value + step;\n` +
      `}\n\n`;
    out.push(fn);
    size += fn.length;
  }
  return out.join("");
}

/** Files for the chunking corpus: this project's sources and a few from node_modules. */
export function corpusFiles(): string[] {
  const src: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (/\.(ts|mjs|js)$/.test(entry.name)) {
        src.push(full);
      }
    }
  };
  walk(path.join(repoRoot, "src"));
  const extra = [
    "node_modules/zod/v4/core/schemas.js",
    "node_modules/zod/v4/core/errors.d.ts",
    "node_modules/typescript/lib/lib.es5.d.ts",
    "node_modules/node-addon-api/napi.h",
    "node_modules/node-llama-cpp/llama/addon/AddonModelData.cpp",
    "node_modules/markdown-it/dist/browser/markdown-it.umd.min.js",
  ].map((file) => path.join(repoRoot, file));
  return [...src.sort(), ...extra.filter((file) => fs.existsSync(file))];
}
