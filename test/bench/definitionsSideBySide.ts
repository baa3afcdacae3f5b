/**
 * Part of `npm run bench -- inlineCompletion` (LCA_BENCH_PARTS=definitions, #15): what definitions
 * in the completion prompt cost per keystroke. The same editing steps run through the completion
 * pipeline and the worker twice per round, interleaved (the variant that goes first alternates):
 *
 *  without  no definitions (the lookup found nothing, or definitionTokens 0);
 *  with     definitions as the adapter passes them (DefinitionLookup.definitionsFor): snippets cut by
 *           the product's own `definitionSnippet` from real declaration files in this workspace
 *           (node-llama-cpp's .d.ts, the types the trace's function works with), the same list on
 *           every step (the adapter keeps them per document while the same names are looked up);
 *           the pipeline budgets them (`selectDefinitions`, definitionTokens 256 by default).
 *
 * Steps per pass (editingTrace.ts's line, `        return contextShiftSize;`):
 *  cold       `return contextShiftSiz|` at a fresh file path; no definitions in either variant (the
 *             lookup runs 250 ms after the keystroke, so the first request at a place has none yet);
 *  arrival    `return contextShiftSize|`: in "with", the first request after the lookup landed, so
 *             the prompt's stable part changes once (the one-off cost); in "without", a typed char;
 *  typedChar  `return contextShiftSize;|`: one character typed, definitions unchanged;
 *  newLine    NEW_LINES times Enter (the editor's indentation), each line then typed out without a request.
 * Settings: the editor's defaults (psmTail, tailLines 16, promptTokens 1024, the default token
 * estimate, definitionTokens 256), no ring chunks, no cache (every step calls the model), a fixed
 * maxTokens with no stop (random weights end anywhere). Each pass waits for the machine to be quiet
 * and runs again when other processes took more than LCA_BENCH_MAX_FOREIGN of the CPU (machineLoad.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WorkerClient } from "../../src/client/workerClient";
import {
  CompletionSettingsSchema,
  completionPipeline,
  definitionSnippet,
  type DefinitionSnippet,
} from "../../src/core/completion";
import type { GenerateRequestInput } from "../../src/core/protocol/workerProtocol";
import { ensureFixture, type FixtureName } from "../fixtures/gguf/index";
import { traceDocument, type EditingTrace } from "./editingTrace";
import { startLoadProbe, waitForQuiet } from "./machineLoad";
import { formatTable, median, percentile } from "./stats";

const root = path.resolve(__dirname, "../../..");
const CONTEXT_SIZE = 4096;
const REPO_NAME = "local-code-assistant";
const NEW_LINES = Number(process.env.LCA_BENCH_NEW_LINES ?? 3);
const GAP_MS = 150;
const MAX_FOREIGN = Number(process.env.LCA_BENCH_MAX_FOREIGN ?? 0.1);
const RETRIES = Number(process.env.LCA_BENCH_RETRIES ?? 2);
const QUIET_WAIT_MS = Number(process.env.LCA_BENCH_QUIET_WAIT_S ?? 60) * 1000;

/**
 * What a definition lookup around the trace's cursor (in `resolveContextShiftSize(contextShiftSize,
 * sequence)`) finds in a typed workspace: the option's declaration and the members of the sequence
 * it uses, from node-llama-cpp's declaration files (pinned with the trace's source, so the text never
 * drifts), most useful first. `nth`: which match in the file (LlamaContext also has a contextSize).
 * The pipeline takes them in this order while they fit definitionTokens (selectDefinitions).
 */
const COMPLETION_DTS = "node_modules/node-llama-cpp/dist/evaluator/LlamaCompletion.d.ts";
const CONTEXT_DTS = "node_modules/node-llama-cpp/dist/evaluator/LlamaContext/LlamaContext.d.ts";
const DEFINITION_SOURCES: readonly { file: string; name: string; line: RegExp; nth?: number }[] = [
  { file: COMPLETION_DTS, name: "contextShiftSize", line: /^\s*contextShiftSize\?:/ },
  { file: CONTEXT_DTS, name: "contextSize", line: /^\s*get contextSize\(\): number;/, nth: 1 },
  { file: COMPLETION_DTS, name: "minPrefixKeepTokens", line: /^\s*minPrefixKeepTokens\?:/ },
  { file: CONTEXT_DTS, name: "contextTokens", line: /^\s*get contextTokens\(\)/ },
  { file: CONTEXT_DTS, name: "nextTokenIndex", line: /^\s*get nextTokenIndex\(\)/ },
  { file: CONTEXT_DTS, name: "LlamaContextSequence", line: /^export declare class LlamaContextSequence\b/ },
];
/** The setting's default (256) unless LCA_BENCH_DEFINITION_TOKENS says otherwise. */
const DEFINITION_TOKENS = process.env.LCA_BENCH_DEFINITION_TOKENS
  ? Number(process.env.LCA_BENCH_DEFINITION_TOKENS)
  : undefined;

/** The definitions as DefinitionLookup would keep them for the trace's document. */
export function traceDefinitions(repoRoot: string): DefinitionSnippet[] {
  return DEFINITION_SOURCES.map((d) => {
    const lines = fs.readFileSync(path.join(repoRoot, d.file), "utf8").split(/\r?\n/);
    const at = lines.map((l, i) => (d.line.test(l) ? i : -1)).filter((i) => i >= 0)[d.nth ?? 0] ?? -1;
    if (at < 0) throw new Error(`${d.file}: ${d.name}'s declaration was not found (node-llama-cpp version changed?)`);
    return { uri: `file:///work/${d.file}`, path: d.file, name: d.name, text: definitionSnippet(lines, at) };
  });
}

type Variant = "without" | "with";
type Step = "cold" | "arrival" | "warmUp" | "arrivalPaused" | "typedChar" | "newLine";
const STEPS: readonly Step[] = ["cold", "arrival", "warmUp", "arrivalPaused", "typedChar", "newLine"];
const STEP_LABEL: Record<Step, string> = {
  cold: "cold (a new place; no definitions yet in either)",
  arrival: "next character: definitions arrive (with) / typed char (without)",
  warmUp: "(definitions landed in a pause: the warm-up)",
  arrivalPaused: "next character after that pause",
  typedChar: "one character typed",
  newLine: "Enter (new line)",
};

interface Sample {
  ms: number;
  firstMs: number | null;
  generated: number;
  promptTokens: number;
  evaluated: number;
  /** Definition chunks that went into the prompt (PipelineResult.context). */
  definitions: number;
  /** Their names, for the record. */
  names: string[];
  foreign: number | null;
}
type Samples = Record<Step, Sample[]>;
const emptySamples = (): Samples => ({
  cold: [],
  arrival: [],
  warmUp: [],
  arrivalPaused: [],
  typedChar: [],
  newLine: [],
});

interface Place {
  prefix: string;
  suffix: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function definitionsSideBySide(options: {
  fixture: FixtureName;
  trace: EditingTrace;
  rounds: number;
  maxTokens: number;
  threads: number;
}): Promise<Record<string, unknown>> {
  const { trace, rounds, maxTokens, threads } = options;
  const loadAtStart = os.loadavg();
  const started = performance.now();
  const modelPath = await ensureFixture(options.fixture);
  const definitions = traceDefinitions(root);
  const worker = new WorkerClient({
    workerPath: path.join(root, "dist/worker.js"),
    gpu: "cpu",
    threads,
    logLevel: "error",
  });
  try {
    const info = await worker.load("completion", { modelPath, contextSize: CONTEXT_SIZE });
    // The editor's defaults (definitionTokens 256); no speculative decoding, as in sideBySide.ts.
    const settings = CompletionSettingsSchema.parse({ speculative: false, definitionTokens: DEFINITION_TOKENS });
    const definitionTokens = await Promise.all(definitions.map((d) => worker.countTokens("completion", d.text)));
    const lines = trace.text.split("\n");
    const indent = /^\s*/.exec(lines[trace.cursorLine - 1])![0];
    const typedLines = lines.slice(trace.cursorLine, trace.cursorLine + NEW_LINES).map((l) => l.trim());
    const { cold, typedChar } = trace.steps;
    // One character before the trace's cold step: cold -> arrival (the trace's cold) -> typedChar.
    const places: Record<"cold" | "arrival" | "typedChar", Place> = {
      cold: { prefix: cold.prefix.slice(0, -1), suffix: cold.suffix },
      arrival: cold,
      typedChar,
    };

    let pathId = 0;
    const freshPath = () => `src/evaluator${String(pathId++).padStart(3, "0")}/LlamaCompletion.js`;
    const request = async (
      filePath: string,
      place: Place,
      defs: readonly DefinitionSnippet[],
      warmUp = false,
    ): Promise<Sample> => {
      const document = traceDocument(trace, filePath, place);
      let first: number | null = null;
      const probe = startLoadProbe([worker.pid]);
      const t0 = performance.now();
      const r = await completionPipeline({
        document,
        settings,
        model: { specialTokens: info.specialTokens },
        generate: (slot, body, o) =>
          worker.generate(
            slot,
            warmUp ? body : ({ ...body, maxTokens, stop: [], timeBudgetMs: undefined } as GenerateRequestInput),
            { supersede: o?.supersede, onChunk: (text) => ((first ??= performance.now()), o?.onChunk?.(text)) },
          ),
        definitions: defs,
        repoName: REPO_NAME,
        warmUp,
      });
      const ms = performance.now() - t0;
      const g = r.generation;
      if (!g) throw new Error(`definitions bench: no model call (${r.reason} ${r.detail ?? ""})`);
      return {
        ms,
        firstMs: first === null ? null : first - t0,
        generated: g.generatedTokens,
        promptTokens: g.promptTokens,
        evaluated: g.promptTokens - g.reusedPromptTokens,
        definitions: (r.context ?? []).filter((c) => c.source === "definition").length,
        names: (r.context ?? [])
          .filter((c) => c.source === "definition")
          .map((c) => defs.find((d) => d.text.trim() === c.text)?.name ?? "?"),
        foreign: probe.foreignShare(),
      };
    };

    /** One pass: a fresh place, then the edits after it (their KV state depends on the steps before). */
    const pass = async (variant: Variant): Promise<Samples> => {
      const s = emptySamples();
      const defs = variant === "with" ? definitions : [];
      const file = freshPath();
      s.cold.push(await request(file, places.cold, []));
      await sleep(GAP_MS);
      s.arrival.push(await request(file, places.arrival, defs));
      await sleep(GAP_MS);
      s.typedChar.push(await request(file, places.typedChar, defs));
      await sleep(GAP_MS);
      let prefix = typedChar.prefix;
      for (const line of typedLines) {
        prefix += "\n" + indent;
        s.newLine.push(await request(file, { prefix, suffix: typedChar.suffix }, defs));
        prefix += line;
        await sleep(GAP_MS);
      }
      // The same first keystrokes at another fresh place, but the definitions land while the user
      // pauses: the warm-up evaluates the prompt with them (WarmUpPlanner.contextChanged), then the
      // next character. Without definitions nothing changed, so nothing is warmed.
      const pausedFile = freshPath();
      await request(pausedFile, places.cold, []);
      await sleep(500);
      if (variant === "with") s.warmUp.push(await request(pausedFile, places.cold, defs, true));
      s.arrivalPaused.push(await request(pausedFile, places.arrival, defs));
      await sleep(GAP_MS);
      return s;
    };
    const reruns: string[] = [];
    const keptBusy: string[] = [];
    const measured = async (variant: Variant, round: number): Promise<Samples> => {
      for (let attempt = 0; ; attempt++) {
        const quiet = await waitForQuiet({ ours: [worker.pid], maxShare: MAX_FOREIGN, timeoutMs: QUIET_WAIT_MS });
        const s = await pass(variant);
        const busy = STEPS.flatMap((n) => s[n].map((x) => x.foreign ?? 0)).filter((f) => f > MAX_FOREIGN);
        if (busy.length === 0) return s;
        const detail =
          `round ${round + 1} ${variant}: ${busy.length} requests with other processes at up to ` +
          `${(Math.max(...busy) * 100).toFixed(0)}% of the CPU (quiet wait ended at ${((quiet.share ?? 0) * 100).toFixed(0)}%)`;
        if (attempt >= RETRIES) {
          keptBusy.push(detail);
          return s;
        }
        reruns.push(detail);
        process.stderr.write(`[inlineCompletion definitions] busy machine, ${detail}; running that pass again\n`);
      }
    };

    // First evaluations allocate buffers: one small request, not measured.
    await worker.generate("completion", { kind: "complete", prompt: "function warmUp() {", maxTokens: 4 });

    const samples: Record<Variant, Samples> = { without: emptySamples(), with: emptySamples() };
    const loadPerRound: number[] = [];
    for (let round = 0; round < rounds; round++) {
      loadPerRound.push(os.loadavg()[0]);
      const order: Variant[] = round % 2 === 0 ? ["without", "with"] : ["with", "without"];
      for (const variant of order) {
        const s = await measured(variant, round);
        for (const step of STEPS) samples[variant][step].push(...s[step]);
      }
      const last = (v: Variant) => STEPS.map((n) => samples[v][n].at(-1)?.firstMs?.toFixed(0) ?? "-").join("/");
      process.stderr.write(
        `[inlineCompletion definitions] round ${round + 1}/${rounds} (load ${loadPerRound[round].toFixed(2)}): ` +
          `first token without ${last("without")} ms, with ${last("with")} ms\n`,
      );
    }
    const loadAtEnd = os.loadavg();
    const durationS = (performance.now() - started) / 1000;

    const nums = (xs: readonly (number | null)[]) => xs.filter((v): v is number => v !== null);
    const summary = (xs: readonly Sample[]) => {
      const firsts = nums(xs.map((x) => x.firstMs));
      const finals = xs.map((x) => x.ms);
      return {
        n: xs.length,
        firstP50: firsts.length ? median(firsts) : null,
        firstP90: firsts.length ? percentile(firsts, 90) : null,
        finalP50: finals.length ? median(finals) : null,
        finalP90: finals.length ? percentile(finals, 90) : null,
        evaluated: xs.map((x) => x.evaluated),
        evaluatedP50: xs.length ? median(xs.map((x) => x.evaluated)) : null,
        promptTokensP50: xs.length ? median(xs.map((x) => x.promptTokens)) : null,
        definitionChunks: [...new Set(xs.map((x) => x.definitions))],
        foreignMax: Math.max(0, ...nums(xs.map((x) => x.foreign))),
      };
    };
    const fmtMs = (v: number | null) => (v === null || !Number.isFinite(v) ? "-" : v.toFixed(0));
    const tokens = (s: ReturnType<typeof summary>) =>
      `${new Set(s.evaluated).size > 1 ? `${s.evaluated.join(", ")} (p50 ${s.evaluatedP50})` : s.evaluatedP50} of ${s.promptTokensP50}`;
    const table = { without: {}, with: {} } as Record<Variant, Record<Step, ReturnType<typeof summary>>>;
    const rows: string[][] = [];
    const row = (label: string, variant: Variant, s: ReturnType<typeof summary>) =>
      rows.push([
        label,
        variant,
        String(s.n),
        `${fmtMs(s.firstP50)} / ${fmtMs(s.firstP90)}`,
        `${fmtMs(s.finalP50)} / ${fmtMs(s.finalP90)}`,
        tokens(s),
        s.definitionChunks.join(", "),
      ]);
    for (const step of STEPS)
      for (const variant of ["without", "with"] as const) {
        const s = summary(samples[variant][step]);
        table[variant][step] = s;
        if (s.n > 0) row(STEP_LABEL[step], variant, s);
      }
    // Each Enter of a pass on its own: they evaluate different amounts (the line typed without a
    // request before it; a 16-line tail anchor crossed), the same with and without definitions.
    if (NEW_LINES > 1)
      for (let k = 0; k < NEW_LINES; k++)
        for (const variant of ["without", "with"] as const)
          row(
            `Enter ${k + 1} of ${NEW_LINES}`,
            variant,
            summary(samples[variant].newLine.filter((_, i) => i % NEW_LINES === k)),
          );
    console.log(
      `\ndefinitions in the prompt: ${options.fixture}, ${threads} threads, ${rounds} rounds, ${maxTokens} tokens, ` +
        `${NEW_LINES} Enters per round; definitions ${definitions.map((d, i) => `${d.name} (${definitionTokens[i]} tokens)`).join(", ")}; ` +
        `load average ${loadAtStart[0].toFixed(2)} -> ${loadAtEnd[0].toFixed(2)} on ${os.cpus().length} cores; ${durationS.toFixed(0)} s`,
    );
    console.log(
      formatTable(
        [
          "step",
          "definitions",
          "n",
          "first token p50 / p90 (ms)",
          "final p50 / p90 (ms)",
          "prompt tokens evaluated of prompt",
          "definition chunks in prompt",
        ],
        rows,
      ),
    );
    const ratio = (step: Step) => {
      const a = table.with[step].firstP50;
      const b = table.without[step].firstP50;
      return a !== null && b !== null && b > 0 ? a / b : null;
    };
    const inPrompt = [...new Set(samples.with.typedChar.flatMap((x) => x.names))];
    const extraTokens = (table.with.typedChar.promptTokensP50 ?? 0) - (table.without.typedChar.promptTokensP50 ?? 0);
    const reading = [
      `definitions in the prompt (definitionTokens ${settings.definitionTokens}, estimated): ${inPrompt.join(", ")}: the prompt is ${extraTokens} real tokens longer`,
      `typed char: evaluated ${table.with.typedChar.evaluated.join(", ")} with vs ${table.without.typedChar.evaluated.join(", ")} without; first token with/without ${ratio("typedChar")?.toFixed(2) ?? "-"}x`,
      `Enter: evaluated ${table.with.newLine.evaluated.join(", ")} with vs ${table.without.newLine.evaluated.join(", ")} without; first token with/without ${ratio("newLine")?.toFixed(2) ?? "-"}x`,
      `definitions arriving (once per lookup with new names): evaluated ${table.with.arrival.evaluated.join(", ")} vs ${table.without.arrival.evaluated.join(", ")} for a typed char; first token ${fmtMs(table.with.arrival.firstP50)} vs ${fmtMs(table.without.arrival.firstP50)} ms`,
      `definitions arriving in a pause (warm-up ${table.with.warmUp.evaluated.join(", ")} tokens): the next character evaluated ${table.with.arrivalPaused.evaluated.join(", ")} with vs ${table.without.arrivalPaused.evaluated.join(", ")} without; first token ${fmtMs(table.with.arrivalPaused.firstP50)} vs ${fmtMs(table.without.arrivalPaused.firstP50)} ms`,
    ];
    for (const line of reading) console.log(line);
    if (reruns.length)
      console.log(
        `note: ${reruns.length} passes ran again (other processes used > ${MAX_FOREIGN * 100}% of the CPU): ${reruns.join("; ")}`,
      );
    if (keptBusy.length)
      console.log(`WARNING: ${keptBusy.length} passes kept busy after ${RETRIES} re-runs: ${keptBusy.join("; ")}`);
    return {
      model: options.fixture,
      threads,
      rounds,
      maxTokens,
      newLines: NEW_LINES,
      definitions: definitions.map((d, i) => ({ name: d.name, path: d.path, tokens: definitionTokens[i] })),
      loadAverage: { start: loadAtStart, end: loadAtEnd, perRound: loadPerRound },
      durationS,
      table,
      definitionTokens: settings.definitionTokens,
      inPrompt,
      extraTokens,
      reading,
      reruns,
      keptBusy,
      samples,
    };
  } finally {
    await worker.stop();
  }
}
