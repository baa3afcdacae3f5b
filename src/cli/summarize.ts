/**
 * `local-code summarize --model PATH --file FILE [--lines A-B]`: the same summarising code as the
 * extension's "Summarize Selection", from a terminal. Without --json the answer streams to stdout.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Engine } from "../core/engine/engine";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../core/chat/settings";
import { parseLineRange, sliceLines } from "../core/summarize/lineRange";
import { DEFAULT_MAX_PARTS, summarize, type SummaryTask } from "../core/summarize/mapReduce";
import { intOption, numberOption, requiredOption, UsageError, type ParsedArgs, LIMITS } from "./args";

/** Options `summarize` reads besides the shared ones (model, context, max-tokens, temperature). */
export const SUMMARIZE_OPTIONS = ["file", "lines", "max-parts", "task"] as const;

export const SUMMARIZE_USAGE =
  "  summarize --model PATH --file FILE [--lines A-B] [--task summarize|explain] [--max-parts N]\n" +
  "                                           summarize a file or lines of it (long input in parts)\n";

/**
 * Reads, summarises and returns the JSON object the CLI prints. Loads the chat slot with `model`
 * (a GGUF path locally, the server's model name remotely); the caller stops the client.
 */
export async function runSummarize(args: ParsedArgs, client: Engine, model: string): Promise<Record<string, unknown>> {
  const file = requiredOption(args, "file");
  const contextSize = intOption(args, "context", 4096, ...LIMITS.context);
  const maxTokensOption = args.options.has("max-tokens") ? intOption(args, "max-tokens", 0, ...LIMITS.maxTokens) : null;
  const temperature = numberOption(args, "temperature", 0, ...LIMITS.temperature);
  const maxParts = intOption(args, "max-parts", DEFAULT_MAX_PARTS, 1);
  const task = args.options.get("task") ?? "summarize";
  if (task !== "summarize" && task !== "explain") {
    throw new UsageError(`--task must be summarize or explain, got "${task}".`);
  }
  const rawLines = args.options.get("lines");
  const range = rawLines === undefined ? null : parseLineRange(rawLines);
  if (rawLines !== undefined && !range) {
    throw new UsageError(`--lines must look like 12-40 (1-based, inclusive), got "${rawLines}".`);
  }

  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let text = content;
  let startLine = 1;
  if (range) {
    try {
      const sliced = sliceLines(content, range);
      text = sliced.text;
      startLine = sliced.span.startLine;
    } catch (error) {
      throw new UsageError(`--lines ${rawLines}: ${(error as Error).message}`);
    }
  }

  const loaded = await client.load("chat", { modelPath: model, contextSize });
  // The answer's reserve comes out of the window (a remote server's own, which may differ from
  // --context): by default at most a quarter of it.
  const maxTokens = maxTokensOption ?? Math.max(16, Math.min(512, Math.floor(loaded.contextSize / 4)));
  const streamToStdout = !args.flags.has("json");
  const result = await summarize(
    {
      task: task as SummaryTask,
      text,
      path: displayPath(file),
      languageId: languageOf(file),
      startLine,
      wholeFile: range === null,
    },
    {
      contextSize: loaded.contextSize,
      final: { systemPrompt: DEFAULT_CHAT_SYSTEM_PROMPT, maxTokens, temperature },
      maxParts,
      count: (piece, signal) => client.countTokens("chat", piece, signal),
      generate: (request, options) =>
        client.generate(
          "chat",
          { kind: "chat", messages: request.messages, maxTokens: request.maxTokens, temperature: request.temperature },
          options,
        ),
      onProgress: streamToStdout ? (p) => process.stderr.write(`[${p.phase} ${p.done}/${p.total}]\n`) : undefined,
      onChunk: streamToStdout ? (chunk) => process.stdout.write(chunk) : undefined,
    },
  );
  if (streamToStdout) {
    process.stdout.write("\n");
    for (const note of result.notes) {
      process.stdout.write(`\nNote: ${note}\n`);
    }
  }
  const final = result.calls[result.calls.length - 1]!;
  return {
    text: result.text,
    stopReason: result.stopReason,
    parts: result.parts,
    mapCalls: result.mapCalls,
    combineCalls: result.combineCalls,
    ms: Math.round(result.ms),
    file: result.source.path,
    lines: `${result.span.startLine}-${result.span.endLine}`,
    wholeFile: result.source.wholeFile,
    task,
    notes: result.notes,
    omitted: result.omitted.map((span) => `${span.startLine}-${span.endLine}`),
    contextSize: loaded.contextSize,
    promptTokens: final.promptTokens,
    generatedTokens: final.generatedTokens ?? 0,
  };
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file));
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative)
    ? relative.split(path.sep).join("/")
    : path.resolve(file);
}

const LANGUAGES: Record<string, string> = {
  ts: "typescript",
  tsx: "typescriptreact",
  js: "javascript",
  jsx: "javascriptreact",
  mjs: "javascript",
  cjs: "javascript",
  py: "python",
  rs: "rust",
  go: "go",
  java: "java",
  c: "c",
  h: "c",
  cpp: "cpp",
  cc: "cpp",
  hpp: "cpp",
  cs: "csharp",
  rb: "ruby",
  php: "php",
  kt: "kotlin",
  swift: "swift",
  sh: "shellscript",
  md: "markdown",
  json: "json",
  css: "css",
  html: "html",
};

function languageOf(file: string): string | null {
  return LANGUAGES[path.extname(file).slice(1).toLowerCase()] ?? null;
}
