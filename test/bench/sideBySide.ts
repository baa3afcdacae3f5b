/**
 * Part of `npm run bench -- inlineCompletion` (#14): our pipeline against llama-server run the way
 * llama.vscode runs it, side by side in one run, on the editing trace (editingTrace.ts).
 *
 *  ours  completionPipeline as the editor runs it (settings' defaults: psmTail, tailLines 16,
 *        promptTokens 1024, the default token estimate; no extra context), through the worker.
 *  peer  the real llama-server the remote tier builds, with llama.vscode's recommended flags
 *        (`--cache-reuse 256 -ub 1024 -b 1024`, one slot), sent what llama.vscode sends: `/infill`
 *        with input_prefix = the 256 lines before the cursor line, prompt = the cursor line up to
 *        the cursor, input_suffix = the rest of it and the 64 lines after, input_extra (empty, as
 *        ours has no extra context here), cache_prompt, its top_k / top_p. Deviations, the same for
 *        both paths: streamed (to time the first token) and a fixed token count (ignore_eos, no
 *        t_max_predict_ms, and no "infill" sampler: it ends the output at an end-of-generation token
 *        even with ignore_eos), since random-weight models end anywhere.
 *
 * Steps per round: cold (a place nothing is cached for: ours a fresh file path, the peer's slot
 * erased); one character typed; NEW_LINES times Enter (with the editor's indentation; the line is
 * then typed out without a request); a new place with no pause (another function of the file);
 * and ours only: a new place after a pause (the warm-up runs, then the first keystroke there).
 * Both generate exactly maxTokens tokens. Times from the request: first streamed token, final.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WorkerClient } from "../../src/client/workerClient";
import { CompletionSettingsSchema, afterEnter, completionPipeline } from "../../src/core/completion";
import type { GenerateRequestInput } from "../../src/core/protocol/workerProtocol";
import { ensureFixture, type FixtureName } from "../fixtures/gguf/index";
import { LlamaServer } from "../remote/llamaServer";
import { traceDocument, type EditingTrace } from "./editingTrace";
import { formatTable, median, percentile } from "./stats";

const root = path.resolve(__dirname, "../../..");
const CONTEXT_SIZE = 4096;
const REPO_NAME = "local-code-assistant";
/** llama.vscode's defaults: n_prefix 256 lines, n_suffix 64 lines. */
const PEER_PREFIX_LINES = 256;
const PEER_SUFFIX_LINES = 64;
const NEW_LINES = Number(process.env.LCA_BENCH_NEW_LINES ?? 3);
/** The user's pause at a new place before the first keystroke (the warm-up starts after 500 ms). */
const PAUSE_MS = 2000;
const GAP_MS = 150;

type Step =
  | "cold"
  | "typedChar"
  | "newLine"
  | "lineEnd"
  | "newLinePaused"
  | "warmUpEnter"
  | "newPlace"
  | "newPlacePaused"
  | "warmUp";
const STEPS: readonly Step[] = [
  "cold",
  "typedChar",
  "newLine",
  "lineEnd",
  "newLinePaused",
  "warmUpEnter",
  "newPlace",
  "newPlacePaused",
  "warmUp",
];
const STEP_LABEL: Record<Step, string> = {
  cold: "cold",
  typedChar: "one character typed",
  newLine: "Enter, no pause (right after the line's last character)",
  lineEnd: "a request at the end of a typed-out line",
  newLinePaused: "Enter after a pause at the line's end (warm-up done)",
  warmUpEnter: "(the warm-up after Enter, in that pause)",
  newPlace: "a new place, no pause",
  newPlacePaused: "a new place after a pause (first keystroke, warm-up done)",
  warmUp: "(the warm-up in that pause)",
};

interface Sample {
  ms: number;
  firstMs: number | null;
  generated: number;
  promptTokens: number;
  evaluated: number;
}
type Samples = Record<Step, Sample[]>;
const emptySamples = (): Samples => ({
  cold: [],
  typedChar: [],
  newLine: [],
  lineEnd: [],
  newLinePaused: [],
  warmUpEnter: [],
  newPlace: [],
  newPlacePaused: [],
  warmUp: [],
});

interface Place {
  prefix: string;
  suffix: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The place for "a new place": the end of a line in another function, far from the trace's cursor. */
function otherPlace(trace: EditingTrace): Place {
  const lines = trace.text.split("\n");
  // The middle of the file's first half: its windows (ours and the peer's) share nothing with the cursor's.
  let at = Math.floor(trace.cursorLine / 4);
  while (at < lines.length && lines[at].trim().length < 8) at++;
  const before = lines.slice(0, at).join("\n") + "\n";
  const line = lines[at];
  return { prefix: before + line, suffix: "\n" + lines.slice(at + 1).join("\n") };
}

/** What llama.vscode sends for a cursor at the end of `prefix` (its getPrefixLines / getSuffixLines). */
export function llamaVscodeInfill(place: Place, maxTokens: number): Record<string, unknown> {
  const before = place.prefix.split("\n");
  const linePrefix = before.pop() ?? "";
  const after = place.suffix.split("\n");
  const lineSuffix = after.shift() ?? "";
  const prefixLines = before.slice(Math.max(0, before.length - PEER_PREFIX_LINES));
  const suffixLines = after.slice(0, PEER_SUFFIX_LINES);
  return {
    input_prefix: prefixLines.join("\n") + "\n",
    input_suffix: lineSuffix + "\n" + suffixLines.join("\n") + "\n",
    input_extra: [],
    prompt: linePrefix,
    n_predict: maxTokens,
    top_k: 40,
    top_p: 0.99,
    // llama.vscode adds the "infill" sampler, which ends the output at an end-of-generation token even
    // with ignore_eos (a random-weight model then stops after 1 token): left out for a fixed token count.
    samplers: ["top_k", "top_p"],
    cache_prompt: true,
    stream: true,
    ignore_eos: true,
  };
}

/** POSTs a streamed /infill and reads its SSE events: first content time, final timings. */
async function peerInfill(url: string, body: Record<string, unknown>): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(`${url}/infill`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok || !res.body) throw new Error(`/infill: HTTP ${res.status} ${await res.text()}`);
  let first: number | null = null;
  let buffer = "";
  type Final = { timings?: { prompt_n?: number; cache_n?: number; predicted_n?: number } };
  let final: Final | null = null;
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data:")) continue;
      const data = JSON.parse(event.slice(5).trim()) as { content?: string; stop?: boolean };
      if (first === null && data.content) first = performance.now();
      if (data.stop) final = data as Final;
    }
  }
  const ms = performance.now() - t0;
  const t = final?.timings ?? {};
  const evaluated = t.prompt_n ?? 0;
  return {
    ms,
    firstMs: first === null ? null : first - t0,
    generated: t.predicted_n ?? 0,
    promptTokens: evaluated + (t.cache_n ?? 0),
    evaluated,
  };
}

export async function sideBySide(options: {
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
  const server = await LlamaServer.start({
    model: modelPath,
    contextSize: CONTEXT_SIZE,
    // llama.vscode's recommendation (its --fim-qwen-*-default presets), our thread count.
    extraArgs: [
      ...["--cache-reuse", "256", "-ub", "1024", "-b", "1024", "--threads", String(threads)],
      // Only to empty the slot before a cold step (POST /slots/0?action=erase needs it); nothing is saved.
      ...["--slot-save-path", fs.mkdtempSync(path.join(os.tmpdir(), "lca-bench-slots-"))],
    ],
  });
  const worker = new WorkerClient({
    workerPath: path.join(root, "dist/worker.js"),
    gpu: "cpu",
    threads,
    logLevel: "error",
  });
  try {
    const info = await worker.load("completion", { modelPath, contextSize: CONTEXT_SIZE });
    // The editor's settings (defaults), with no time budget or stop so both paths generate maxTokens.
    const settings = CompletionSettingsSchema.parse({ extraContextTokens: 0, speculative: false });
    const lines = trace.text.split("\n");
    const indent = /^\s*/.exec(lines[trace.cursorLine - 1])![0];
    const typedLines = lines.slice(trace.cursorLine, trace.cursorLine + NEW_LINES).map((l) => l.trim());
    const elsewhere = otherPlace(trace);
    const { cold, typedChar } = trace.steps;

    let pathId = 0;
    const freshPath = () => `src/evaluator${String(pathId++).padStart(3, "0")}/LlamaCompletion.js`;
    const snapshot = (filePath: string, place: Place) => traceDocument(trace, filePath, place);
    const ours = async (filePath: string, place: Place, warmUp = false): Promise<Sample> => {
      const document = snapshot(filePath, place);
      let first: number | null = null;
      const t0 = performance.now();
      const r = await completionPipeline({
        document,
        settings,
        model: { specialTokens: info.specialTokens },
        // The prompt as the editor builds it; a fixed token count, and no early stop on noise output.
        generate: (slot, body, o) =>
          worker.generate(
            slot,
            warmUp ? body : ({ ...body, maxTokens, stop: [], timeBudgetMs: undefined } as GenerateRequestInput),
            { supersede: o?.supersede, onChunk: (text) => ((first ??= performance.now()), o?.onChunk?.(text)) },
          ),
        repoName: REPO_NAME,
        warmUp,
      });
      const g = r.generation;
      if (!g) throw new Error(`ours: no model call (${r.reason} ${r.detail ?? ""})`);
      return {
        ms: performance.now() - t0,
        firstMs: first === null ? null : first - t0,
        generated: g.generatedTokens,
        promptTokens: g.promptTokens,
        evaluated: g.promptTokens - g.reusedPromptTokens,
      };
    };
    const peer = (place: Place) => peerInfill(server.url, llamaVscodeInfill(place, maxTokens));
    const eraseSlot = async () => {
      const res = await fetch(`${server.url}/slots/0?action=erase`, { method: "POST" });
      if (!res.ok) throw new Error(`erasing the peer's slot: HTTP ${res.status} ${await res.text()}`);
    };

    // First evaluations allocate buffers: one small request each, not measured.
    await worker.generate("completion", { kind: "complete", prompt: "function warmUp() {", maxTokens: 4 });
    await peerInfill(server.url, llamaVscodeInfill({ prefix: "function a() {", suffix: "}" }, 4));

    const samples: Record<"ours" | "peer", Samples> = { ours: emptySamples(), peer: emptySamples() };
    const loadPerRound: number[] = [];
    const passOurs = async () => {
      const s = samples.ours;
      const file = freshPath();
      s.cold.push(await ours(file, cold));
      await sleep(GAP_MS);
      s.typedChar.push(await ours(file, typedChar));
      await sleep(GAP_MS);
      let prefix = typedChar.prefix;
      for (const line of typedLines) {
        prefix += "\n" + indent;
        s.newLine.push(await ours(file, { prefix, suffix: typedChar.suffix }));
        prefix += line;
        await sleep(GAP_MS);
      }
      s.newPlace.push(await ours(file, elsewhere));
      await sleep(GAP_MS);
      // The same lines again in a fresh file, now with a pause at each line's end: the editor's request
      // there (the user stopped typing), the warm-up after Enter (WarmUpPlanner: 500 ms into the
      // pause, the document as afterEnter() predicts it), then Enter.
      const pausedFile = freshPath();
      await ours(pausedFile, cold);
      await ours(pausedFile, typedChar);
      prefix = typedChar.prefix;
      for (const line of typedLines) {
        const pauseStart = performance.now();
        await sleep(500);
        const next = afterEnter(snapshot(pausedFile, { prefix, suffix: typedChar.suffix }));
        if (!next) throw new Error("the trace's cursor is not at the end of a line");
        s.warmUpEnter.push(await ours(pausedFile, next, true));
        await sleep(Math.max(0, PAUSE_MS - (performance.now() - pauseStart)));
        prefix += "\n" + indent;
        s.newLinePaused.push(await ours(pausedFile, { prefix, suffix: typedChar.suffix }));
        prefix += line;
        await sleep(GAP_MS);
        s.lineEnd.push(await ours(pausedFile, { prefix, suffix: typedChar.suffix }));
      }
      // A new place, and a pause: the warm-up (WarmUpPlanner: 500 ms into the pause), then the keystroke.
      const paused = freshPath();
      const pauseStart = performance.now();
      await sleep(500);
      s.warmUp.push(await ours(paused, cold, true));
      await sleep(Math.max(0, PAUSE_MS - (performance.now() - pauseStart)));
      s.newPlacePaused.push(await ours(paused, typedChar));
      await sleep(GAP_MS);
    };
    const passPeer = async () => {
      const s = samples.peer;
      await eraseSlot();
      s.cold.push(await peer(cold));
      await sleep(GAP_MS);
      s.typedChar.push(await peer(typedChar));
      await sleep(GAP_MS);
      let prefix = typedChar.prefix;
      for (const line of typedLines) {
        prefix += "\n" + indent;
        s.newLine.push(await peer({ prefix, suffix: typedChar.suffix }));
        prefix += line;
        await sleep(GAP_MS);
      }
      s.newPlace.push(await peer(elsewhere));
      await sleep(GAP_MS);
    };
    for (let round = 0; round < rounds; round++) {
      loadPerRound.push(os.loadavg()[0]);
      // The path that goes first alternates per round.
      for (const pass of round % 2 === 0 ? [passOurs, passPeer] : [passPeer, passOurs]) await pass();
      process.stderr.write(
        `[inlineCompletion sideBySide] round ${round + 1}/${rounds} (load ${loadPerRound[round].toFixed(2)}): ` +
          `ours ${STEPS.map((n) => samples.ours[n].at(-1)?.ms.toFixed(0) ?? "-").join("/")} ms, ` +
          `peer ${STEPS.map((n) => samples.peer[n].at(-1)?.ms.toFixed(0) ?? "-").join("/")} ms\n`,
      );
    }
    const loadAtEnd = os.loadavg();

    const fmtMs = (v: number | null) => (v === null || !Number.isFinite(v) ? "-" : (v / 1000).toFixed(2));
    const p50 = (xs: number[]) => (xs.length ? median(xs) : null);
    const firsts = (xs: Sample[]) => xs.map((x) => x.firstMs).filter((v): v is number => v !== null);
    const summary = (xs: Sample[]) => ({
      n: xs.length,
      firstP50: p50(firsts(xs)),
      firstP95: xs.length ? percentile(firsts(xs), 95) : null,
      finalP50: p50(xs.map((x) => x.ms)),
      finalP95: xs.length
        ? percentile(
            xs.map((x) => x.ms),
            95,
          )
        : null,
      evaluated: xs.map((x) => x.evaluated),
      evaluatedP50: p50(xs.map((x) => x.evaluated)),
      promptTokens: p50(xs.map((x) => x.promptTokens)),
      generated: p50(xs.map((x) => x.generated)),
    });
    const table: Record<string, Record<Step, ReturnType<typeof summary>>> = { ours: {}, peer: {} } as never;
    const rows: string[][] = [];
    const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
    for (const step of STEPS) {
      const o = summary(samples.ours[step]);
      const p = summary(samples.peer[step]);
      table.ours[step] = o;
      table.peer[step] = p;
      const tokens = (s: typeof o) =>
        s.n === 0
          ? "-"
          : `${s.evaluated.length > 1 && new Set(s.evaluated).size > 1 ? `${s.evaluated.join(", ")} (p50 ${s.evaluatedP50})` : s.evaluatedP50} of ${s.promptTokens}`;
      const r1 = ratio(o.firstP50, p.firstP50);
      const r2 = ratio(o.finalP50, p.finalP50);
      rows.push([
        STEP_LABEL[step],
        o.n ? `${fmtMs(o.firstP50)} / ${fmtMs(o.finalP50)}` : "-",
        tokens(o),
        p.n ? `${fmtMs(p.firstP50)} / ${fmtMs(p.finalP50)}` : "-",
        tokens(p),
        r1 === null ? "-" : `${r1.toFixed(2)} / ${r2!.toFixed(2)}`,
      ]);
    }
    const durationS = (performance.now() - started) / 1000;
    console.log(
      `\nside by side: ${options.fixture}, ${threads} threads, ${rounds} rounds, ${maxTokens} tokens, ${NEW_LINES} Enters per round; ` +
        `load average ${loadAtStart[0].toFixed(2)} -> ${loadAtEnd[0].toFixed(2)} on ${os.cpus().length} cores; ${durationS.toFixed(0)} s`,
    );
    console.log(
      formatTable(
        [
          "moment",
          "ours first / final p50 (s)",
          "ours tokens evaluated",
          "peer first / final p50 (s)",
          "peer tokens evaluated",
          "ours / peer (first / final)",
        ],
        rows,
      ),
    );
    const char = table.ours.typedChar.firstP50;
    const targets = [
      ...(["newLine", "newLinePaused"] as const).flatMap((step) => [
        {
          target: `${STEP_LABEL[step]}: first token within 2x of one character`,
          value: `${fmtMs(table.ours[step].firstP50)} vs ${fmtMs(char)} s`,
          met: (ratio(table.ours[step].firstP50, char) ?? Infinity) <= 2,
        },
        {
          target: `${STEP_LABEL[step]}: tokens re-evaluated under 30 (each Enter)`,
          value: `${table.ours[step].evaluated.join(", ")}`,
          met: table.ours[step].n > 0 && Math.max(...table.ours[step].evaluated) < 30,
        },
      ]),
      {
        target: "new place after a pause: first token within 2x of one character",
        value: `${fmtMs(table.ours.newPlacePaused.firstP50)} vs ${fmtMs(char)} s`,
        met: (ratio(table.ours.newPlacePaused.firstP50, char) ?? Infinity) <= 2,
      },
      {
        target: "new place, no pause: no slower than the peer (first token)",
        value: `${fmtMs(table.ours.newPlace.firstP50)} vs ${fmtMs(table.peer.newPlace.firstP50)} s`,
        met: (ratio(table.ours.newPlace.firstP50, table.peer.newPlace.firstP50) ?? Infinity) <= 1,
      },
    ];
    console.log(
      formatTable(
        ["target", "measured", "met"],
        targets.map((t) => [t.target, t.value, t.met ? "yes" : "NO"]),
      ),
    );
    return {
      model: options.fixture,
      threads,
      rounds,
      maxTokens,
      newLines: NEW_LINES,
      peer: {
        server: "llama-server (scripts/tools/build-llama-server.sh)",
        flags: "--cache-reuse 256 -ub 1024 -b 1024 --parallel 1",
        route: "/infill",
      },
      loadAverage: { start: loadAtStart, end: loadAtEnd, perRound: loadPerRound },
      durationS,
      table,
      targets,
      samples,
    };
  } finally {
    await worker.stop();
    await server.stop();
  }
}
