/**
 * `local-code`: the same engine as the extension, from a terminal, for checking hardware,
 * benchmarking and tests. With --json each command prints exactly one JSON object on stdout.
 */
import * as path from "node:path";
import { WorkerClient } from "../client/workerClient";
import type { StoppableEngine } from "../core/engine/switchingEngine";
import { EngineError } from "../core/engine/engine";
import type { GenerateRequestInput, GenerationResult, GpuSetting } from "../core/engine/types";
import { GpuSettingSchema, type HardwareInfo } from "../core/engine/types";
import { formatHardwareText } from "../core/models/presentation";
import * as fs from "node:fs";
import { intOption, LIMITS, numberOption, parseArgs, requiredOption, UsageError, type ParsedArgs } from "./args";
import { runSummarize, SUMMARIZE_OPTIONS, SUMMARIZE_USAGE } from "./summarize";
import { INFILL_OPTIONS, infillRequest } from "./infill";
import { runSelect, SELECT_OPTIONS, SELECT_USAGE, selectText, type SelectCliOutput } from "./select";
import { redactSecrets } from "../core/security/redact";
import { loggerFrom, type Logger } from "../core/util/logger";
import { BACKEND_OPTIONS, BACKEND_USAGE, backendFromArgs, type BackendChoice } from "./backend";

const USAGE = `Usage: local-code <command> [options]

Commands:
  complete --model PATH --prompt TEXT      plain text completion (or --prompt-file PATH, "-" = stdin)
  infill   --model PATH --prefix TEXT --suffix TEXT [--language ID] [--layout psm|psmTail|spm]
                                           the editor's inline completion pipeline: prints the ghost text
  chat     --model PATH --message TEXT     one chat turn with the model's chat template (or --prompt-file PATH|-)
           (complete, infill, chat and summarize take --backend remote --remote-url URL instead of --model)
  hardware                                 detected GPU, memory and cores
${SUMMARIZE_USAGE}${SELECT_USAGE}
Options:
  --max-tokens N     tokens to generate (default 64)
  --temperature T    0 = greedy, reproducible (default 0)
  --context N        context size in tokens (default 4096)
  --threads N        CPU threads, 0 = physical cores (default 0)
  --gpu MODE         auto | cuda | vulkan | metal | cpu (default auto)
  --json             print one JSON object
  --verbose          engine logs on stderr

${BACKEND_USAGE}`;

const FLAGS = new Set(["json", "verbose", "help"]);
const OPTIONS = new Set([
  "model",
  "prompt",
  "prompt-file",
  "prefix",
  "suffix",
  "message",
  "max-tokens",
  "temperature",
  "context",
  "threads",
  "gpu",
  ...INFILL_OPTIONS,
  ...SUMMARIZE_OPTIONS,
  ...SELECT_OPTIONS,
  ...BACKEND_OPTIONS,
]);

function cliLog(args: ParsedArgs): Logger {
  const verbose = args.flags.has("verbose");
  return loggerFrom((level, message) => {
    // Warnings from the engine itself (a forced GPU backend fell back to the CPU) are shown even
    // without --verbose; llama.cpp's own chatter is not. Secrets never reach the terminal.
    const engineWarning = level === "warn" && !message.startsWith("[llama]") && !message.startsWith("[worker]");
    if (verbose || level === "error" || engineWarning) process.stderr.write(`[${level}] ${redactSecrets(message)}\n`);
  });
}

function makeClient(args: ParsedArgs): WorkerClient {
  const gpu = GpuSettingSchema.safeParse(args.options.get("gpu") ?? "auto");
  if (!gpu.success) throw new UsageError(`--gpu must be one of ${GpuSettingSchema.options.join(", ")}.`);
  return new WorkerClient({
    workerPath: path.join(__dirname, "worker.js"),
    gpu: gpu.data as GpuSetting,
    threads: intOption(args, "threads", 0, ...LIMITS.threads),
    logLevel: args.flags.has("verbose") ? "info" : "error",
    log: cliLog(args),
    restart: { maxConsecutiveCrashes: 0 },
  });
}

/** The local worker or a remote server, from --backend (checked before anything starts). */
function backend(args: ParsedArgs): BackendChoice {
  return backendFromArgs(args, () => makeClient(args), cliLog(args));
}

/** Reads and checks every option of a generation command before any model is loaded. */
function generationRequest(args: ParsedArgs): {
  backend: BackendChoice;
  contextSize: number;
  body: GenerateRequestInput;
} {
  const maxTokens = intOption(args, "max-tokens", 64, ...LIMITS.maxTokens);
  const temperature = numberOption(args, "temperature", 0, ...LIMITS.temperature);
  const contextSize = intOption(args, "context", 4096, ...LIMITS.context);
  if (maxTokens >= contextSize)
    throw new UsageError(`--max-tokens (${maxTokens}) must be less than --context (${contextSize}).`);
  const choice = backend(args);
  const text = inputText(args, args.command === "complete" ? "prompt" : "message");
  switch (args.command) {
    case "complete":
      return { backend: choice, contextSize, body: { kind: "complete", prompt: text, maxTokens, temperature } };
    default:
      return {
        backend: choice,
        contextSize,
        body: { kind: "chat", messages: [{ role: "user", content: text }], maxTokens, temperature },
      };
  }
}

/** --prompt/--message TEXT, or --prompt-file PATH ("-" = stdin) for inputs longer than a command line allows. */
function inputText(args: ParsedArgs, option: "prompt" | "message"): string {
  const file = args.options.get("prompt-file");
  if (file === undefined) return requiredOption(args, option);
  if (args.options.has(option)) throw new UsageError(`Give --${option} or --prompt-file, not both.`);
  try {
    return fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new UsageError(`--prompt-file: cannot read ${file === "-" ? "stdin" : file} (${(error as Error).message}).`);
  }
}

/** Refuses an input that does not fit the context with the answer, instead of truncating it or answering nothing. */
async function checkFits(client: StoppableEngine, body: GenerateRequestInput, contextSize: number): Promise<void> {
  const text =
    body.kind === "complete" ? body.prompt : body.kind === "chat" ? body.messages.map((m) => m.content).join("\n") : "";
  const tokens = await client.countTokens("completion", text);
  const room = contextSize - body.maxTokens;
  if (tokens > room) {
    const what = body.kind === "complete" ? "prompt" : "message";
    throw new InputTooLong(
      `The ${what} is ${tokens} tokens, but the context (--context ${contextSize}) leaves room for ${room} with --max-tokens ${body.maxTokens}. ` +
        `Shorten it, or raise --context (the model's limit permitting).`,
    );
  }
}

class InputTooLong extends Error {}

async function generate(args: ParsedArgs): Promise<Record<string, unknown>> {
  const request = generationRequest(args);
  const client = request.backend.makeEngine();
  try {
    await client.load("completion", { modelPath: request.backend.model, contextSize: request.contextSize });
    await checkFits(client, request.body, request.contextSize);
    const streamToStdout = !args.flags.has("json");
    const onChunk = streamToStdout ? (text: string) => process.stdout.write(text) : undefined;
    const result: GenerationResult = await client.generate("completion", request.body, { onChunk });
    if (streamToStdout) process.stdout.write("\n");
    return {
      text: result.text,
      stopReason: result.stopReason,
      promptTokens: result.promptTokens,
      generatedTokens: result.generatedTokens,
      ms: Math.round(result.ms),
    };
  } finally {
    await client.stop();
  }
}

async function hardware(args: ParsedArgs): Promise<Record<string, unknown>> {
  const client = makeClient(args);
  try {
    return await client.hardware();
  } finally {
    await client.stop();
  }
}

/** hardware and select describe this machine: a remote backend has nothing to do with them. */
function localOnly(args: ParsedArgs): void {
  if (args.options.has("backend") && args.options.get("backend") !== "local")
    throw new UsageError(`${args.command} describes this machine; it takes no --backend.`);
}

async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, FLAGS, OPTIONS);
  } catch (error) {
    process.stderr.write(`local-code: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (
    !args.command ||
    args.flags.has("help") ||
    args.command === "help" ||
    args.command === "--help" ||
    args.command === "-h"
  ) {
    // Asked for: stdout and success. A bare call is a usage error: stderr and exit 2.
    (args.command ? process.stdout : process.stderr).write(USAGE);
    return args.command ? 0 : 2;
  }
  try {
    let output: Record<string, unknown>;
    switch (args.command) {
      case "complete":
      case "chat":
        output = await generate(args);
        break;
      case "infill": {
        const request = infillRequest(args);
        const choice = backend(args);
        const client = choice.makeEngine();
        try {
          await client.load("completion", { modelPath: choice.model, contextSize: request.contextSize });
          output = await request.run(client);
          if (!args.flags.has("json")) process.stdout.write(`${output.text}\n`);
        } finally {
          await client.stop();
        }
        break;
      }
      case "hardware":
        localOnly(args);
        output = await hardware(args);
        break;
      case "select":
        localOnly(args);
        output = await runSelect(args, makeClient);
        break;
      case "summarize": {
        const choice = backend(args);
        const client: StoppableEngine = choice.makeEngine();
        try {
          output = await runSummarize(args, client, choice.model);
        } finally {
          await client.stop();
        }
        break;
      }
      default:
        throw new UsageError(`Unknown command "${args.command}".`);
    }
    if (args.flags.has("json")) process.stdout.write(`${JSON.stringify(output)}\n`);
    else if (args.command === "hardware") process.stdout.write(formatHardwareText(output as HardwareInfo));
    else if (args.command === "select") process.stdout.write(selectText(output as SelectCliOutput));
    else
      process.stderr.write(
        `[${output.stopReason}] ${output.promptTokens} prompt + ${output.generatedTokens} generated tokens in ${output.ms} ms\n`,
      );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`local-code: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    const code =
      error instanceof EngineError ? ` [${error.code}]` : error instanceof InputTooLong ? " [inputTooLong]" : "";
    process.stderr.write(`local-code: error${code}: ${redactSecrets((error as Error).message)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
