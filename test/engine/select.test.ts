import * as assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureFixture } from "../fixtures/gguf/index";
import { HOSTILE_HEADERS } from "../support/hostileGguf";
import { findModel, ladderFromCatalog } from "../../src/core/models/catalog";
import { estimateFromGguf, ggufArchFieldsFromMetadata } from "../../src/core/models/fitEstimate";
import type { HardwareProfile } from "../../src/core/models/hardwareProfile";
import {
  compareSelectionKeys,
  ModelSelectionSchema,
  NoFitSchema,
  selectionKey,
  selectModel,
  type ModelSelection,
  type QuantPolicy,
} from "../../src/core/models/selectModel";
import { cliPath } from "./workerHarness";
import { AutoChoiceJsonSchema } from "../../src/core/models/autoChoiceView";
import { planSlots } from "../../src/core/models/modelPlan";
import { SettingsSchema } from "../../src/core/config/settings";
import { WORKER_SEQUENCES } from "../../src/vscode/models/modelPlanner";
import { nvidia, cpuOnly, apple } from "../unit/models/hardwareProfiles";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], cli = cliPath): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function json(r: CliRun): Record<string, unknown> {
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `expected one JSON line, got:\n${r.stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

const GiB = 1024 ** 3;
const SELECTION_KEYS = [
  "quant",
  "file",
  "sizeBytes",
  "placement",
  "gpuLayers",
  "estimate",
  "budgetBytes",
  "reason",
  "candidates",
] as const;

function pureSelection(out: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SELECTION_KEYS.filter((k) => k in out).map((k) => [k, out[k]]));
}

function flagsMachine(vram: number, ram: number): HardwareProfile {
  return {
    gpu: vram > 0 ? "cuda" : "none",
    vramTotalBytes: vram,
    vramFreeBytes: vram,
    ramTotalBytes: ram,
    ramFreeBytes: ram,
    unifiedMemory: false,
    cpuCores: os.availableParallelism(),
  };
}

describe("CLI select", function () {
  this.timeout(120_000);

  it("gives exactly selectModel's answer for the documented gemma-2-2b-it case: Q4_K_S, 15/26 layers", async () => {
    const args = [
      "select",
      "--model",
      "gemma-2-2b-it",
      "--vram-free",
      String(2 * GiB),
      "--ram-free",
      String(16 * GiB),
      "--gpu",
      "cuda",
      "--context",
      "8192",
      "--policy",
      "balanced",
      "--json",
    ];
    const out = json(await run(args));
    const expected = selectModel(
      ladderFromCatalog(findModel("gemma-2-2b-it")!),
      flagsMachine(2 * GiB, 16 * GiB),
      { contextSize: 8192 },
      "balanced",
    );
    assert.deepEqual(pureSelection(out), expected);
    const sel = ModelSelectionSchema.parse(pureSelection(out));
    assert.equal(sel.quant, "Q4_K_S");
    assert.equal(sel.placement, "partial");
    assert.equal(sel.gpuLayers, 15);
    assert.ok(sel.estimate.repackBytes > 0, "the CPU's 11 layers of a Q4_K file are named as repacked");
    assert.equal(sel.candidates.length, 28);
    assert.equal(out.model, "gemma-2-2b-it");
    assert.equal(out.hardwareSource, "from flags");
    assert.equal(out.contextSize, 8192);
  });

  it("answers from flags alone without the worker (the CLI runs without worker.js next to it)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lc-select-"));
    try {
      const lonely = path.join(dir, "cli.js");
      copyFileSync(cliPath, lonely);
      const out = json(
        await run(
          ["select", "--model", "qwen2.5-coder-1.5b", "--gpu", "none", "--ram-free", String(8 * GiB), "--json"],
          lonely,
        ),
      );
      assert.equal(out.placement, "cpu");
      assert.equal(out.contextSize, 4096, "a completion model defaults to the completion context");
      // Leaving out --ram-free needs detection, which needs the worker: this copy has none.
      const missing = await run(["select", "--model", "qwen2.5-coder-1.5b", "--gpu", "none", "--json"], lonely);
      assert.notEqual(missing.code, 0);
      assert.equal(missing.stdout, "");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [id, context] of [
    ["gemma-2-2b-it", 8192],
    ["qwen2.5-coder-1.5b", 4096],
  ] as const)
    for (const policy of ["balanced", "quality"] as QuantPolicy[])
      it(`more VRAM never gives a worse pick (${id}, ${policy}, through the CLI)`, async () => {
        const ladder = ladderFromCatalog(findModel(id)!);
        let previous: { vram: number; key: number[]; sel: ModelSelection } | null = null;
        for (const vramGiB of [0, 1, 2, 3, 4, 6, 8, 12]) {
          const vram = vramGiB * GiB;
          const gpu = vram > 0 ? ["--gpu", "cuda", "--vram-free", String(vram)] : ["--gpu", "none"];
          const out = json(
            await run([
              "select",
              "--model",
              id,
              ...gpu,
              "--ram-free",
              String(16 * GiB),
              "--context",
              String(context),
              "--policy",
              policy,
              "--json",
            ]),
          );
          const sel = ModelSelectionSchema.parse(pureSelection(out));
          assert.ok(sel.estimate.totalBytes <= sel.budgetBytes, `${vramGiB} GiB: the pick fits its budget`);
          const key = selectionKey(policy, ladder, sel);
          if (previous)
            assert.ok(
              compareSelectionKeys(key, previous.key) >= 0,
              `${vramGiB} GiB picked ${sel.quant} ${sel.placement} ${sel.gpuLayers}, worse than ${previous.sel.quant} ${previous.sel.placement} ${previous.sel.gpuLayers} at ${previous.vram} GiB`,
            );
          previous = { vram: vramGiB, key, sel };
        }
        assert.equal(previous!.sel.placement, "gpu", "12 GiB of VRAM holds a small model fully");
      });

  it("uses the detected hardware: CPU only on this machine", async () => {
    const out = json(await run(["select", "--model", "qwen2.5-coder-1.5b", "--json"]));
    assert.equal(out.hardwareSource, "detected");
    const hw = out.hardware as HardwareProfile;
    assert.equal(hw.gpu, "none");
    assert.equal(hw.vramFreeBytes, 0);
    assert.ok(hw.ramFreeBytes > 0 && hw.ramFreeBytes <= hw.ramTotalBytes);
    const sel = ModelSelectionSchema.parse(pureSelection(out));
    assert.equal(sel.placement, "cpu");
    assert.equal(sel.gpuLayers, 0);
    assert.equal(sel.budgetBytes, hw.ramFreeBytes);
    assert.match(sel.reason, /CPU only \(no GPU memory\)/);
  });

  it("applies a flag on top of detection (tiny free RAM: nothing fits, and it says so)", async () => {
    const out = json(
      await run(["select", "--model", "qwen2.5-coder-1.5b", "--ram-free", String(256 * 1024 * 1024), "--json"]),
    );
    assert.equal(out.hardwareSource, "detected, with flags applied");
    const noFit = NoFitSchema.parse(pureSelection(out));
    assert.match(
      noFit.reason,
      /^Nothing fits: the smallest quant of qwen2\.5-coder-1\.5b, \S+, needs [\d.]+ GiB; free RAM 0\.25 GiB/,
    );
    assert.ok(noFit.candidates.every((c) => !c.fits));
  });

  it("an unknown --model exits 2 and lists the catalog ids", async () => {
    const r = await run(["select", "--model", "qwen9-coder", "--gpu", "none", "--ram-free", String(8 * GiB), "--json"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /Unknown model "qwen9-coder"\. Catalog ids: .*qwen2\.5-coder-1\.5b \(completion\).*gemma-2-2b-it \(chat\)|Unknown model "qwen9-coder"\. Catalog ids: .*gemma-2-2b-it \(chat\).*qwen2\.5-coder-1\.5b \(completion\)/,
    );
    const quant = await run([
      "select",
      "--model",
      "qwen2.5-coder-1.5b:Q9_9",
      "--gpu",
      "none",
      "--ram-free",
      String(8 * GiB),
      "--json",
    ]);
    assert.equal(quant.code, 2);
    assert.match(quant.stderr, /no downloadable quant "Q9_9"\. Available: Q8_0, Q2_K, .*Q4_K_M/);
    const policy = await run(["select", "--model", "qwen2.5-coder-1.5b", "--policy", "fast", "--json"]);
    assert.equal(policy.code, 2);
    assert.match(policy.stderr, /--policy must be one of quality, balanced, speed/);
  });

  it("pins an explicit quant", async () => {
    const out = json(
      await run([
        "select",
        "--model",
        "qwen2.5-coder-1.5b:q4_k_m",
        "--gpu",
        "none",
        "--ram-free",
        String(8 * GiB),
        "--json",
      ]),
    );
    assert.equal(out.quant, "Q4_K_M");
    assert.equal(out.model, "qwen2.5-coder-1.5b:Q4_K_M");
    assert.match(out.reason as string, /^Q4_K_M as set explicitly/);
  });

  it("sizes a .gguf on disk from its header: weights = the file, KV and compute from its shape", async () => {
    const file = await ensureFixture("qwen2.5-coder-0.5b-shape-q8_0");
    const size = statSync(file).size;
    const out = json(
      await run([
        "select",
        "--model",
        file,
        "--gpu",
        "none",
        "--ram-free",
        String(8 * GiB),
        "--context",
        "2048",
        "--json",
      ]),
    );
    const sel = ModelSelectionSchema.parse(pureSelection(out));
    assert.equal(sel.estimate.weightsBytes, size);
    assert.equal(sel.sizeBytes, size);
    assert.equal(sel.file, file);
    assert.equal(sel.quant, "Q8_0", "the quant comes from general.file_type");
    assert.equal(sel.placement, "cpu");
    // Qwen2.5-Coder-0.5B: 24 layers x 2 KV heads x (64 + 64) x 2 bytes = 12288 bytes per cell.
    assert.equal(sel.estimate.kvCacheBytes, 12288 * 2048);
    // The same numbers from node-llama-cpp's own header reader.
    const lib = await import("node-llama-cpp");
    const info = await lib.readGgufFileInfo(file, { readTensorInfo: false });
    const tokens = (info.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } }).tokenizer?.ggml?.tokens
      ?.length;
    const fields = ggufArchFieldsFromMetadata(info.metadata.general.architecture, info.architectureMetadata, tokens);
    assert.deepEqual(
      sel.estimate,
      estimateFromGguf(fields, { fileSizeBytes: size, cpuRepackBytes: 0 }, { contextSize: 2048 }, "cpu"),
    );
    const missing = await run([
      "select",
      "--model",
      path.join(path.dirname(file), "nope.gguf"),
      "--gpu",
      "none",
      "--ram-free",
      String(8 * GiB),
      "--json",
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Model file not found: .*nope\.gguf/);
  });

  it("a FIFO or a hostile header is refused at once with an error naming the file (issue #16)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lc-select-hostile-"));
    try {
      const fifo = path.join(dir, "pipe.gguf");
      execFileSync("mkfifo", [fifo]);
      const r = await run(["select", "--model", fifo, "--gpu", "none", "--ram-free", String(8 * GiB), "--json"]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /not a regular file \(a FIFO\): .*pipe\.gguf/);
      // An array of 2^40 u8: refused from its declared size, not read.
      const hostile = path.join(dir, "blob.gguf");
      writeFileSync(hostile, HOSTILE_HEADERS["an array of 2^40 u8"]);
      const h = await run(["select", "--model", hostile, "--gpu", "none", "--ram-free", String(8 * GiB), "--json"]);
      assert.equal(h.code, 1, h.stdout);
      assert.match(h.stderr, /GGUF .*blob\.gguf/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("select --model auto prints the pair the extension plans for the same hardware (its planSlots with its settings' defaults)", async () => {
    const settings = SettingsSchema.parse({});
    for (const { name, profile } of [nvidia(8, 16), nvidia(12, 32), cpuOnly(16), apple(16)]) {
      const gpu = profile.gpu === "none" ? "none" : profile.gpu;
      const args = ["select", "--model", "auto", "--gpu", gpu, "--ram-free", String(profile.ramFreeBytes), "--json"];
      if (gpu !== "none")
        args.push("--vram-free", String(profile.vramFreeBytes), "--vram-total", String(profile.vramTotalBytes));
      const out = json(await run(args));
      const parsed = AutoChoiceJsonSchema.parse(out);
      // The extension's path: ModelPlanner.plan -> planSlots with the settings' models, contexts and the worker's sequences.
      const hw: HardwareProfile = { ...profile, cpuCores: (out.hardware as HardwareProfile).cpuCores };
      const plans = planSlots(
        hw,
        settings.quantPolicy,
        {
          completion: { setting: settings.completion.model, contextSize: settings.completion.contextSize },
          chat: { setting: settings.chat.model, contextSize: settings.chat.contextSize },
        },
        { sequences: WORKER_SEQUENCES },
      );
      for (const slot of ["completion", "chat"] as const) {
        const cli = parsed[slot]!;
        const ext = plans[slot]!;
        assert.equal(cli.id, ext.model?.id, `${name} ${slot}`);
        assert.ok(cli.quant !== null && ext.selection && ext.selection.quant !== null, `${name} ${slot}: both pick`);
        const sel = ext.selection as ModelSelection;
        assert.deepEqual(
          {
            quant: cli.quant,
            placement: cli.placement,
            gpuLayers: cli.gpuLayers,
            estimate: cli.estimate,
            reason: cli.reason,
          },
          {
            quant: sel.quant,
            placement: sel.placement,
            gpuLayers: sel.gpuLayers,
            estimate: sel.estimate,
            reason: sel.reason,
          },
          `${name} ${slot}`,
        );
      }
      assert.equal(
        parsed.totalBytes,
        (plans.completion!.selection as ModelSelection).estimate.totalBytes +
          (plans.chat!.selection as ModelSelection).estimate.totalBytes,
      );
    }
  });

  it("select --model auto checks its flags: --vram-total below --vram-free, a zero bandwidth", async () => {
    const low = await run([
      "select",
      "--model",
      "auto",
      "--gpu",
      "cuda",
      "--vram-free",
      "100",
      "--vram-total",
      "50",
      "--ram-free",
      "1000",
      "--json",
    ]);
    assert.equal(low.code, 2);
    assert.match(low.stderr, /--vram-total \(50\) is less than --vram-free \(100\)/);
    const zero = await run([
      "select",
      "--model",
      "auto",
      "--gpu",
      "none",
      "--ram-free",
      "1000",
      "--cpu-bandwidth",
      "0",
      "--json",
    ]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--cpu-bandwidth must be more than 0/);
  });

  it("select --model auto without --json names both picks", async () => {
    const r = await run([
      "select",
      "--model",
      "auto",
      "--gpu",
      "cuda",
      "--vram-free",
      String(7.5 * GiB),
      "--ram-free",
      String(12 * GiB),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Completion: qwen2\.5-coder-1\.5b Q4_K_M/m);
    assert.match(r.stdout, /^Chat: qwen2\.5-coder-7b-instruct Q4_K_S/m);
  });

  it("hardware without --json prints a readable summary", async () => {
    const r = await run(["hardware", "--gpu", "cpu"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Backend: +CPU only \(requested: cpu\)$/m);
    assert.match(r.stdout, /^RAM: +[\d.]+ GiB free of [\d.]+ GiB$/m);
    assert.match(r.stdout, /^CPU: +.+\(\d+ physical \/ \d+ logical cores\)$/m);
    assert.throws(() => JSON.parse(r.stdout));
  });

  it("select without --json explains the pick", async () => {
    const r = await run([
      "select",
      "--model",
      "gemma-2-2b-it",
      "--vram-free",
      String(2 * GiB),
      "--ram-free",
      String(16 * GiB),
      "--gpu",
      "cuda",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Pick: +Q4_K_S .*partial offload, 15 layers on the GPU$/m);
    assert.match(r.stdout, /^Memory: +weights [\d.]+ GiB \([\d.]+ GiB of it repacked by the CPU\) \+ KV /m);
    assert.match(r.stdout, /^\* Q4_K_S /m);
    assert.match(
      r.stdout,
      /^Context: +8192 tokens × 1 sequence, policy balanced$/m,
      "a chat model defaults to the chat context",
    );
  });
});
