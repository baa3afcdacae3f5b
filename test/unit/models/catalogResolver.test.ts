import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SettingsSchema, type Settings } from "../../../src/core/config/settings";
import type { Disposable, Engine, EngineState } from "../../../src/core/engine/engine";
import { notDownloadedProblem } from "../../../src/core/models/presentation";
import type { HardwareInfo, ModelInfo, Slot } from "../../../src/core/protocol/workerProtocol";
import { createCatalogResolver } from "../../../src/vscode/models/catalogResolver";
import { ModelPlanner, WORKER_SEQUENCES } from "../../../src/vscode/models/modelPlanner";

const GiB = 1024 ** 3;

/** The smallest valid GGUF: v3, no tensors, one key (general.architecture = "llama"). */
function tinyGguf(): Buffer {
  const str = (s: string) => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(s)));
    return Buffer.concat([len, Buffer.from(s)]);
  };
  const head = Buffer.alloc(24);
  head.write("GGUF", 0, "latin1");
  head.writeUInt32LE(3, 4);
  head.writeBigUInt64LE(0n, 8);
  head.writeBigUInt64LE(1n, 16);
  const type = Buffer.alloc(4);
  type.writeUInt32LE(8);
  return Buffer.concat([head, str("general.architecture"), type, str("llama")]);
}

function place(file: string, content: Buffer | string = tinyGguf()): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** Only what the resolver uses: hardware(), modelInfo() and state changes. */
class FakeEngine {
  hardwareCalls = 0;
  loaded: Partial<Record<Slot, ModelInfo>> = {};
  private readonly listeners = new Set<(s: EngineState) => void>();
  constructor(public info: HardwareInfo) {}
  async hardware(): Promise<HardwareInfo> {
    this.hardwareCalls++;
    await new Promise((r) => setTimeout(r, 5));
    return this.info;
  }
  modelInfo(slot: Slot): ModelInfo | null {
    return this.loaded[slot] ?? null;
  }
  onDidChangeState(listener: (s: EngineState) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  fire(state: EngineState): void {
    for (const l of this.listeners) l(state);
  }
}

function cpuMachine(ramFreeGiB: number): HardwareInfo {
  return {
    gpu: "none",
    requestedGpu: "auto",
    fallbackReason: null,
    gpuDeviceNames: [],
    vram: { total: 0, used: 0, free: 0, unifiedSize: 0 },
    ram: { total: 32 * GiB, free: ramFreeGiB * GiB },
    swap: { total: 0, free: 0 },
    cpu: { physicalCores: 2, logicalCores: 2, model: "test" },
    platform: "linux",
    arch: "x64",
  };
}

function logRecorder() {
  const lines: string[] = [];
  return {
    lines,
    log: {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    },
  };
}

describe("catalog resolver", () => {
  let dir: string;
  const settings: Settings = SettingsSchema.parse({});
  const modelsDir = () => path.join(dir, "models");
  const q4kmPath = () =>
    path.join(modelsDir(), "mradermacher", "Qwen2.5-Coder-1.5B-GGUF", "Qwen2.5-Coder-1.5B.Q4_K_M.gguf");
  const q8Path = () =>
    path.join(modelsDir(), "ggml-org", "Qwen2.5-Coder-1.5B-Q8_0-GGUF", "qwen2.5-coder-1.5b-q8_0.gguf");

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lc-resolver-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setup(info = cpuMachine(16)) {
    const engine = new FakeEngine(info);
    const { lines, log } = logRecorder();
    // The resolver and the model commands share one planner (the ModelRuntime's).
    const planner = new ModelPlanner(engine as unknown as Engine, path.join(dir, "models"), log);
    const resolver = createCatalogResolver(planner, log);
    return { engine, lines, log, planner, resolver };
  }

  it("asks for the download of auto's pick when nothing is on disk, measuring the hardware once", async () => {
    const { engine, resolver, lines } = setup();
    const [a, b] = await Promise.all([
      resolver("completion", "auto", settings),
      resolver("completion", "auto", settings),
    ]);
    assert.deepEqual(a, { modelPath: null, problem: notDownloadedProblem("qwen2.5-coder-1.5b", "Q8_0", 1646573056) });
    assert.deepEqual(b, a);
    await resolver("completion", "auto", settings);
    assert.equal(engine.hardwareCalls, 1);
    // The same outcome is logged once, not per request.
    assert.equal(lines.filter((l) => l.includes("is not downloaded yet")).length, 1);
  });

  it("loads the pick from the models folder once it is there and verified", async () => {
    const { resolver } = setup();
    // Q8_0 has an exact catalog size: a file of another size is not taken for it.
    place(q8Path());
    const wrongSize = await resolver("completion", "auto", settings);
    assert.equal(wrongSize.modelPath, null);
    // Q4_K_M has only a listing size: a valid GGUF at its path counts.
    place(q4kmPath());
    const pinned = await resolver("completion", "qwen2.5-coder-1.5b:q4_k_m", settings);
    assert.deepEqual(pinned, { modelPath: q4kmPath(), problem: null });
  });

  it("keeps auto on a downloaded model of its family when the machine now favours another model", async () => {
    const { resolver, lines } = setup();
    // Only the 0.5B is on disk (chosen on a smaller machine); this one's pick is the 1.5B Q8_0.
    const small = path.join(modelsDir(), "bartowski", "Qwen2.5-Coder-0.5B-GGUF", "Qwen2.5-Coder-0.5B-Q5_K_L.gguf");
    place(small);
    const r = await resolver("completion", "auto", settings);
    assert.deepEqual(r, { modelPath: small, problem: null });
    assert.ok(
      lines.some((l) =>
        l.includes(
          "qwen2.5-coder-1.5b Q8_0 would fit better but is not downloaded; using the downloaded qwen2.5-coder-0.5b Q5_K_L",
        ),
      ),
    );
    // An explicit setting is not swapped for another model.
    const explicit = await resolver("completion", "qwen2.5-coder-1.5b", settings);
    assert.equal(explicit.modelPath, null);
  });

  it("keeps auto on a downloaded quant when the pick itself is not downloaded", async () => {
    const { resolver, lines } = setup();
    const q6kPath = path.join(modelsDir(), "mradermacher", "Qwen2.5-Coder-1.5B-GGUF", "Qwen2.5-Coder-1.5B.Q6_K.gguf");
    place(q6kPath);
    const r = await resolver("completion", "auto", settings);
    assert.deepEqual(r, { modelPath: q6kPath, problem: null });
    assert.ok(
      lines.some(
        (l) =>
          l.startsWith("info ") && l.includes("Q8_0 would fit better but is not downloaded; using the downloaded Q6_K"),
      ),
    );
  });

  it("does not fall back to a downloaded quant that needs more than the pick's share (F16 against a Q8_0 pick)", async () => {
    const { resolver } = setup();
    const f16Path = path.join(modelsDir(), "mradermacher", "Qwen2.5-Coder-1.5B-GGUF", "Qwen2.5-Coder-1.5B.f16.gguf");
    place(f16Path);
    // Explicit settings: completion's share is what its pick (Q8_0, 1.65 GB) needs; the F16 file needs more.
    const explicit = { ...settings, chat: { ...settings.chat, model: "qwen2.5-coder-1.5b-instruct" } };
    const r = await resolver("completion", "qwen2.5-coder-1.5b", explicit);
    assert.deepEqual(r, { modelPath: null, problem: notDownloadedProblem("qwen2.5-coder-1.5b", "Q8_0", 1646573056) });
    // A smaller downloaded quant fits that share: on the CPU a repacked Q4_K_M counts its file once
    // (the mmapped pages it was copied from are droppable), so it needs less than the Q8_0.
    place(q4kmPath());
    assert.deepEqual(await resolver("completion", "qwen2.5-coder-1.5b", explicit), {
      modelPath: q4kmPath(),
      problem: null,
    });
    // auto: the share is what the chosen chat model leaves, and the downloaded Q4_K_M fits in it.
    assert.deepEqual(await resolver("completion", "auto", settings), { modelPath: q4kmPath(), problem: null });
  });

  it("does not take a file that is not a GGUF", async () => {
    const { resolver, lines } = setup();
    place(q4kmPath(), "<html>not a model</html>");
    const r = await resolver("completion", "qwen2.5-coder-1.5b:Q4_K_M", settings);
    assert.equal(r.modelPath, null);
    assert.equal(r.problem, notDownloadedProblem("qwen2.5-coder-1.5b", "Q4_K_M", 986e6));
    assert.ok(lines.some((l) => l.startsWith("warn ") && l.includes("not a GGUF file")));
  });

  it("names the valid ids for an unknown model, and says when nothing fits", async () => {
    const { resolver } = setup(cpuMachine(0.5));
    const unknown = await resolver("chat", "qwen9-chat", settings);
    assert.match(unknown.problem!, /Unknown model "qwen9-chat"\. chat models: .*qwen2\.5-coder-1\.5b-instruct/);
    const tiny = await resolver("completion", "auto", settings);
    assert.match(
      tiny.problem!,
      /^qwen2\.5-coder-0\.5b: Nothing fits: the smallest quant of qwen2\.5-coder-0\.5b, Q3_K_S, needs/,
    );
  });

  it("keeps its hardware measurement while a model is loaded, and measures again once none is", async () => {
    const { engine, resolver, planner } = setup();
    const first = await resolver("completion", "auto", settings);
    assert.equal(engine.hardwareCalls, 1);
    // A worker restart with the model loaded: measured again, but the loaded model's memory must not change the pick.
    engine.loaded.completion = { modelPath: "/x.gguf" } as ModelInfo;
    engine.fire({ kind: "starting" });
    engine.info = cpuMachine(1);
    assert.deepEqual(await resolver("completion", "auto", settings), first);
    assert.equal(engine.hardwareCalls, 2);
    await resolver("completion", "auto", settings);
    assert.equal(engine.hardwareCalls, 2, "measured once per restart, not per request");
    // The commands share this planner, so they see the same measurement.
    assert.equal((await planner.hardware()).profile.ramFreeBytes, 16 * GiB);
    // With nothing loaded, a refresh (Show Hardware) takes the new measurement.
    engine.loaded = {};
    assert.equal((await planner.hardware({ refresh: true })).profile.ramFreeBytes, 1 * GiB);
    // 1 GiB free: auto now fits the 0.5B completion model (the chat slot gets nothing).
    assert.match((await resolver("completion", "auto", settings)).problem!, /^Model qwen2\.5-coder-0\.5b \(/);
  });

  it("takes a new measurement after a restart on another backend even with a model loaded", async () => {
    const { engine, resolver, planner } = setup();
    await resolver("completion", "auto", settings);
    engine.loaded.completion = { modelPath: "/x.gguf" } as ModelInfo;
    engine.info = {
      ...cpuMachine(16),
      gpu: "vulkan",
      gpuDeviceNames: ["Test GPU"],
      vram: { total: 8 * GiB, used: 0, free: 8 * GiB, unifiedSize: 0 },
    };
    engine.fire({ kind: "starting" });
    const snapshot = await planner.hardware();
    assert.equal(snapshot.profile.gpu, "vulkan");
    assert.equal(snapshot.profile.vramFreeBytes, 8 * GiB);
  });

  it("looks for and downloads catalog files in localCode.modelsFolder when it is set", async () => {
    const { resolver, planner } = setup();
    const elsewhere = path.join(dir, "elsewhere");
    const custom: Settings = { ...settings, modelsFolder: elsewhere };
    place(q4kmPath());
    assert.equal(
      (await resolver("completion", "qwen2.5-coder-1.5b:Q4_K_M", custom)).modelPath,
      null,
      "the default folder is not searched",
    );
    const moved = path.join(elsewhere, path.relative(modelsDir(), q4kmPath()));
    place(moved);
    assert.deepEqual(await resolver("completion", "qwen2.5-coder-1.5b:Q4_K_M", custom), {
      modelPath: moved,
      problem: null,
    });
    assert.equal(
      planner.spec((await planner.plan(custom)).plans.completion!.model!, "Q8_0", custom).destPath,
      path.join(elsewhere, "ggml-org", "Qwen2.5-Coder-1.5B-Q8_0-GGUF", "qwen2.5-coder-1.5b-q8_0.gguf"),
    );
    assert.equal(
      planner.spec((await planner.plan(settings)).plans.completion!.model!, "Q8_0", settings).destPath,
      q8Path(),
    );
  });

  it("plans with the worker's two sequences per context", async () => {
    const { planner } = setup();
    const { plans } = await planner.plan(settings);
    assert.equal(WORKER_SEQUENCES, 2);
    assert.equal(plans.completion!.context.sequences, 2);
    assert.equal(plans.chat!.context.contextSize, 8192);
  });
});
