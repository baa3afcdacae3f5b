import * as assert from "node:assert/strict";
import { findModel, ladderFromCatalog } from "../../../src/core/models/catalog";
import { estimateMemory, splitEstimate, type ContextSpecInput } from "../../../src/core/models/fitEstimate";
import { hardwareProfileFromInfo, memoryBudgets, type HardwareProfile } from "../../../src/core/models/hardwareProfile";
import { measuredCpuSpeed, nominalBits } from "../../../src/core/models/quantTypes";
import {
  compareSelectionKeys,
  isNoFit,
  ladderWeights,
  ModelSelectionSchema,
  SelectionResultSchema,
  selectForSlots,
  selectionKey,
  selectModel,
  type ModelLadder,
  type ModelSelection,
  type QuantPolicy,
  type SelectionResult,
} from "../../../src/core/models/selectModel";
import type { HardwareInfo } from "../../../src/core/protocol/workerProtocol";

const GiB = 1024 ** 3;
const POLICIES: QuantPolicy[] = ["quality", "balanced", "speed"];
const VRAM_GB = [0, 1, 2, 4, 6, 8, 12, 16, 24, 48, 80];
const RAM_GB = [4, 8, 16, 32, 64];

function machine(vramGiB: number, ramGiB: number, extra: Partial<HardwareProfile> = {}): HardwareProfile {
  return {
    gpu: vramGiB > 0 ? "cuda" : "none",
    vramTotalBytes: vramGiB * GiB,
    vramFreeBytes: vramGiB * GiB,
    ramTotalBytes: ramGiB * GiB,
    ramFreeBytes: ramGiB * GiB,
    unifiedMemory: false,
    cpuCores: 8,
    ...extra,
  };
}

const ladder = (id: string): ModelLadder => ladderFromCatalog(findModel(id)!);
const TIER = { cpu: 0, partial: 1, gpu: 2 } as const;
const bits = (quant: string) => nominalBits(quant)!;
const inRange = (quant: string) => bits(quant) >= 4 && bits(quant) <= 8;

function picked(result: SelectionResult): ModelSelection {
  assert.ok(!isNoFit(result), `expected a pick: ${result.reason}`);
  return result as ModelSelection;
}

/** The pick's memory, checked side by side against what the hardware offers. */
function assertFits(
  l: ModelLadder,
  hw: HardwareProfile,
  context: ContextSpecInput,
  s: ModelSelection,
  budgets = memoryBudgets(hw),
): void {
  assert.ok(s.estimate.totalBytes <= s.budgetBytes, "total within budget");
  const weights = ladderWeights(l.quants.find((q) => q.quant === s.quant)!);
  if (s.placement === "gpu")
    assert.ok(estimateMemory(l.arch, weights, context, "gpu").totalBytes <= budgets.gpuBytes, "fits in VRAM");
  if (s.placement === "cpu")
    assert.ok(estimateMemory(l.arch, weights, context, "cpu").totalBytes <= budgets.ramBytes, "fits in RAM");
  // The CPU side holds the repacked copy of repackable weights; the GPU side never does.
  if (s.placement !== "gpu")
    assert.equal(s.estimate.repackBytes > 0, weights.cpuRepackBytes > 0, "repack copy counted on the CPU side");
  else assert.equal(s.estimate.repackBytes, 0);
  if (s.placement === "partial") {
    assert.ok(s.gpuLayers > 0 && s.gpuLayers < l.arch.blockCount);
    const split = splitEstimate(l.arch, weights, context, s.gpuLayers);
    assert.ok(split.gpu.totalBytes <= budgets.gpuBytes && split.cpu.totalBytes <= budgets.ramBytes, "both sides fit");
    assert.ok(budgets.partialOffload);
  }
}

/** Independent statement of each policy: no fitting candidate is better by the policy's own rule. */
function assertNothingBetterFits(policy: QuantPolicy, s: ModelSelection): void {
  const fitting = s.candidates.filter((c) => c.fits);
  const me = s.candidates.find((c) => c.quant === s.quant)!;
  assert.ok(me.fits && me.placement === s.placement);
  if (policy === "quality") {
    const cls = (q: string) => Math.min(bits(q), 8);
    const top = Math.max(...fitting.map((c) => cls(c.quant)));
    assert.equal(cls(s.quant), top, "highest quality class that fits");
    const sameClass = fitting.filter((c) => cls(c.quant) === top);
    assert.equal(
      TIER[s.placement],
      Math.max(...sameClass.map((c) => TIER[c.placement])),
      "best placement within the class",
    );
    return;
  }
  const eligible = fitting.filter((c) => inRange(c.quant));
  if (eligible.length === 0) return;
  assert.ok(inRange(s.quant), `${s.quant} is a 4-8-bit quant`);
  const bestTier = Math.max(...eligible.map((c) => TIER[c.placement]));
  assert.equal(TIER[s.placement], bestTier, "best placement among 4-8-bit quants");
  const peers = eligible.filter((c) => TIER[c.placement] === bestTier);
  if (policy === "balanced" && s.placement !== "partial") {
    assert.equal(bits(s.quant), Math.max(...peers.map((c) => bits(c.quant))), "most bits at that placement");
  }
  if (policy === "speed" && s.placement === "gpu") {
    assert.equal(s.sizeBytes, Math.min(...peers.map((c) => c.sizeBytes)), "fewest bytes per token on the GPU");
  }
  if (policy === "speed" && s.placement === "cpu") {
    const speeds = peers.map((c) => measuredCpuSpeed(c.quant) ?? 0);
    assert.equal(measuredCpuSpeed(s.quant) ?? 0, Math.max(...speeds), "fastest measured CPU type");
  }
}

function key(policy: QuantPolicy, l: ModelLadder, r: SelectionResult): number[] {
  return isNoFit(r) ? [-Infinity] : selectionKey(policy, l, r);
}

describe("quant selection over a table of fake hardware", () => {
  const models: Array<[string, ContextSpecInput]> = [
    ["gemma-2-2b-it", { contextSize: 8192 }],
    ["qwen2.5-coder-1.5b", { contextSize: 4096 }],
    ["qwen2.5-coder-7b-instruct", { contextSize: 8192 }],
    ["llama-3.1-8b-instruct", { contextSize: 8192 }],
    ["codegemma-2b", { contextSize: 2048, batchSize: 256 }],
  ];
  for (const [id, context] of models) {
    for (const policy of POLICIES) {
      it(`${id} / ${policy}: picks fit, nothing better fits, more memory never picks worse`, () => {
        const l = ladder(id);
        let checked = 0;
        for (const vram of VRAM_GB) {
          for (const ram of RAM_GB) {
            const hw = machine(vram, ram);
            const result = selectModel(l, hw, context, policy);
            SelectionResultSchema.parse(result);
            if (isNoFit(result)) {
              assert.ok(
                result.candidates.every((c) => !c.fits),
                `NoFit although something fits (${vram}/${ram})`,
              );
              assert.match(result.reason, /needs .* GiB/);
              continue;
            }
            assertFits(l, hw, context, result);
            assertNothingBetterFits(policy, result);
            // Every fitting candidate, pinned, ranks no higher than the pick.
            for (const c of result.candidates.filter((x) => x.fits)) {
              const alt = picked(selectModel(l, hw, context, policy, { pinQuant: c.quant }));
              assert.ok(
                compareSelectionKeys(key(policy, l, alt), key(policy, l, result)) <= 0,
                `${c.quant} beats ${result.quant} at ${vram}/${ram}`,
              );
            }
            checked++;
            const k = key(policy, l, result);
            const moreRam = RAM_GB.find((r) => r > ram);
            const moreVram = VRAM_GB.find((v) => v > vram);
            for (const bigger of [
              moreRam && machine(vram, moreRam),
              moreVram !== undefined && machine(moreVram, ram),
            ]) {
              if (!bigger) continue;
              const k2 = key(policy, l, selectModel(l, bigger, context, policy));
              assert.ok(compareSelectionKeys(k2, k) >= 0, `worse pick with more memory than ${vram}/${ram}`);
            }
          }
        }
        assert.ok(checked > 20);
      });
    }
  }

  it("budgets CPU-only machines from free RAM, not total", () => {
    const l = ladder("qwen2.5-coder-7b-instruct");
    const hw = machine(0, 64, { ramFreeBytes: 6 * GiB });
    const s = picked(selectModel(l, hw, { contextSize: 8192 }, "balanced"));
    assert.equal(s.placement, "cpu");
    assert.equal(s.budgetBytes, 6 * GiB);
    assert.ok(s.estimate.totalBytes <= 6 * GiB);
    const roomy = picked(selectModel(l, machine(0, 64), { contextSize: 8192 }, "balanced"));
    assert.notEqual(roomy.quant, s.quant);
  });
});

describe("quant selection: exact picks on known machines", () => {
  const gemma = ladder("gemma-2-2b-it");
  const chatCtx = { contextSize: 8192 };

  it("gemma-2-2b-it, 2 GiB VRAM + 16 GiB RAM, balanced: Q4_K_S with 15/26 layers offloaded", () => {
    // Nothing of 4+ bits fits fully (weights + 0.65 GiB KV + 0.5 GiB logits at 8k context, 256k vocab);
    // IQ4_XS, IQ4_NL, Q4_0, Q4_K_S and Q4_K_M all get 15 layers, Q4_K_S has the best measured PPL of them (12.97).
    const s = picked(selectModel(gemma, machine(2, 16), chatCtx, "balanced"));
    assert.deepEqual([s.quant, s.placement, s.gpuLayers], ["Q4_K_S", "partial", 15]);
    assert.match(s.reason, /no 4-8-bit quant fits fully in VRAM/);
    assert.match(s.reason, /15\/26 layers on the GPU/);
    // The CPU's 11 layers of a Q4_K file are named as repacked (counted once: the mmapped source is droppable).
    assert.ok(Math.abs(s.estimate.repackBytes - (s.sizeBytes * 11) / 26) <= 1);
  });

  it("gemma-2-2b-it per policy at 1 / 2 / 4 / 6 GiB VRAM (16 GiB RAM)", () => {
    const expected: Record<QuantPolicy, string[]> = {
      quality: ["Q8_0 partial 2", "Q8_0 partial 10", "Q8_0 partial 25", "Q8_0 gpu 26"],
      balanced: ["Q4_K_S partial 4", "Q4_K_S partial 15", "Q6_K gpu 26", "Q8_0 gpu 26"],
      speed: ["Q4_0 partial 4", "Q4_0 partial 15", "IQ4_XS gpu 26", "IQ4_XS gpu 26"],
    };
    for (const policy of POLICIES) {
      const got = [1, 2, 4, 6]
        .map((v) => picked(selectModel(gemma, machine(v, 16), chatCtx, policy)))
        .map((s) => `${s.quant} ${s.placement} ${s.gpuLayers}`);
      assert.deepEqual(got, expected[policy], policy);
    }
  });

  it("quality prefers measured perplexity: F16 on 80 GB, Q8_0 in VRAM over F16 offloaded at 6 GB", () => {
    assert.equal(picked(selectModel(gemma, machine(80, 64), chatCtx, "quality")).quant, "F16");
    const s = picked(selectModel(gemma, machine(6, 64), chatCtx, "quality"));
    assert.deepEqual([s.quant, s.placement], ["Q8_0", "gpu"]);
  });

  it("counts backend speed: Q4_0 on CPU, the smallest 4-bit file on GPU", () => {
    const cpu = picked(selectModel(gemma, machine(0, 16), chatCtx, "speed"));
    assert.deepEqual([cpu.quant, cpu.placement], ["Q4_0", "cpu"]);
    assert.match(cpu.reason, /Q4_0 22\.1, Q8_0 15\.3, Q4_K_M 13\.9/);
    const gpu = picked(selectModel(gemma, machine(8, 16), chatCtx, "speed"));
    assert.deepEqual([gpu.quant, gpu.placement], ["IQ4_XS", "gpu"]);
  });

  it("qwen2.5-coder-1.5b completion on a CPU-only 8 GiB machine", () => {
    const l = ladder("qwen2.5-coder-1.5b");
    const ctx = { contextSize: 4096 };
    // No Q4_0 in this ladder: Q8_0 is the fastest measured CPU type (15.3 vs 13.9 t/s for Q4_K_M).
    assert.equal(picked(selectModel(l, machine(0, 8), ctx, "speed")).quant, "Q8_0");
    assert.equal(picked(selectModel(l, machine(0, 8), ctx, "balanced")).quant, "Q8_0");
    assert.equal(picked(selectModel(l, machine(0, 8), ctx, "quality")).quant, "F16");
    assert.equal(picked(selectModel(l, machine(0, 8), ctx, "balanced")).gpuLayers, 0);
  });

  it("llama-3.1-8b-instruct on an 80 GB GPU; nothing on a 4 GiB CPU-only machine", () => {
    const l = ladder("llama-3.1-8b-instruct");
    const big = machine(80, 64);
    assert.equal(picked(selectModel(l, big, chatCtx, "quality")).quant, "BF16");
    assert.equal(picked(selectModel(l, big, chatCtx, "balanced")).quant, "Q8_0");
    assert.equal(picked(selectModel(l, big, chatCtx, "speed")).quant, "IQ4_XS");
    const none = selectModel(l, machine(0, 4), chatCtx, "balanced");
    assert.ok(isNoFit(none));
    assert.match(
      none.reason,
      /smallest quant of llama-3\.1-8b-instruct, IQ2_M, needs \d+\.\d\d GiB; free RAM 4\.00 GiB/,
    );
  });

  it("falls below 4 bits only when nothing else fits, and says so", () => {
    const s = picked(selectModel(gemma, machine(0, 2.5), chatCtx, "balanced"));
    assert.ok(bits(s.quant) < 4);
    assert.match(s.reason, /below the quality floor/);
  });

  it("unified memory: GPU budget capped by free RAM, no partial offload", () => {
    const small = machine(12, 16, { gpu: "metal", unifiedMemory: true, ramFreeBytes: 7 * GiB });
    const big = machine(6, 16, { gpu: "metal", unifiedMemory: true, ramFreeBytes: 12 * GiB });
    for (const policy of POLICIES) {
      const s = picked(selectModel(ladder("qwen2.5-coder-7b-instruct"), small, chatCtx, policy));
      assert.notEqual(s.placement, "partial");
      assert.ok(s.estimate.totalBytes <= 7 * GiB);
      // A split would count the same memory twice: 6 GiB "VRAM" is part of the 12 GiB free.
      const l = picked(selectModel(ladder("llama-3.1-8b-instruct"), big, chatCtx, policy));
      assert.deepEqual([l.quant, l.placement], ["Q8_0", "cpu"]);
    }
  });

  it("honours an explicit quant, and refuses one that does not fit", () => {
    const l = ladder("qwen2.5-coder-1.5b");
    const s = picked(selectModel(l, machine(8, 16), { contextSize: 4096 }, "balanced", { pinQuant: "q4_k_m" }));
    assert.deepEqual([s.quant, s.placement], ["Q4_K_M", "gpu"]);
    assert.match(s.reason, /set explicitly/);
    const no = selectModel(l, machine(0, 2), { contextSize: 4096 }, "balanced", { pinQuant: "F16" });
    assert.ok(isNoFit(no));
    assert.match(no.reason, /F16 \(set explicitly\) needs/);
    assert.ok(isNoFit(selectModel(l, machine(8, 16), { contextSize: 4096 }, "balanced", { pinQuant: "Q9_X" })));
  });

  it("returns exactly the CLI shape, candidates by size with ppl null where unknown", () => {
    const s = picked(selectModel(gemma, machine(4, 16), chatCtx, "balanced"));
    assert.deepEqual(Object.keys(ModelSelectionSchema.strict().parse(s)).sort(), [
      "budgetBytes",
      "candidates",
      "estimate",
      "file",
      "gpuLayers",
      "placement",
      "quant",
      "reason",
      "sizeBytes",
    ]);
    assert.deepEqual(Object.keys(s.estimate).sort(), [
      "computeBytes",
      "kvCacheBytes",
      "marginBytes",
      "repackBytes",
      "totalBytes",
      "weightsBytes",
    ]);
    assert.deepEqual(Object.keys(s.candidates[0]).sort(), [
      "fits",
      "placement",
      "ppl",
      "quant",
      "sizeBytes",
      "totalBytes",
    ]);
    assert.equal(s.file, "gemma-2-2b-it-Q6_K.gguf");
    assert.equal(s.candidates.length, 28);
    assert.ok(s.candidates.every((c, i) => i === 0 || c.sizeBytes >= s.candidates[i - 1].sizeBytes));
    assert.equal(s.candidates.find((c) => c.quant === "Q6_K")?.ppl, 12.8816);
    const q = picked(selectModel(ladder("qwen2.5-coder-1.5b"), machine(4, 16), { contextSize: 4096 }, "balanced"));
    assert.ok(q.candidates.every((c) => c.ppl === null));
    assert.equal(s.reason.split("\n").length, 1);
  });

  it("builds its hardware profile from the worker's HardwareInfo", () => {
    const info: HardwareInfo = {
      gpu: "metal",
      requestedGpu: "auto",
      fallbackReason: null,
      gpuDeviceNames: ["Apple M2"],
      vram: { total: 12 * GiB, used: GiB, free: 11 * GiB, unifiedSize: 12 * GiB },
      ram: { total: 16 * GiB, free: 9 * GiB },
      swap: { total: 0, free: 0 },
      cpu: { physicalCores: 8, logicalCores: 8, model: "M2" },
      platform: "darwin",
      arch: "arm64",
    };
    const hw = hardwareProfileFromInfo(info);
    assert.deepEqual(hw, {
      gpu: "metal",
      vramTotalBytes: 12 * GiB,
      vramFreeBytes: 11 * GiB,
      ramTotalBytes: 16 * GiB,
      ramFreeBytes: 9 * GiB,
      unifiedMemory: true,
      cpuCores: 8,
    });
    assert.deepEqual(memoryBudgets(hw), { gpuBytes: 9 * GiB, ramBytes: 9 * GiB, partialOffload: false });
    const cpuOnly = hardwareProfileFromInfo({
      ...info,
      gpu: "none",
      vram: { total: 0, used: 0, free: 0, unifiedSize: 0 },
    });
    assert.deepEqual(memoryBudgets(cpuOnly), { gpuBytes: 0, ramBytes: 9 * GiB, partialOffload: false });
  });
});

describe("completion and chat sharing one budget", () => {
  const completion = { ladder: ladder("qwen2.5-coder-1.5b"), context: { contextSize: 4096 } };
  const chat = { ladder: ladder("qwen2.5-coder-7b-instruct"), context: { contextSize: 8192 } };

  /** GPU and RAM bytes a pick occupies. */
  function usage(l: ModelLadder, ctx: ContextSpecInput, r: SelectionResult | null): { gpu: number; ram: number } {
    if (!r || isNoFit(r)) return { gpu: 0, ram: 0 };
    if (r.placement === "gpu") return { gpu: r.estimate.totalBytes, ram: 0 };
    if (r.placement === "cpu") return { gpu: 0, ram: r.estimate.totalBytes };
    const split = splitEstimate(l.arch, ladderWeights(l.quants.find((q) => q.quant === r.quant)!), ctx, r.gpuLayers);
    return { gpu: split.gpu.totalBytes, ram: split.cpu.totalBytes };
  }

  for (const policy of POLICIES) {
    it(`${policy}: both fit together, completion keeps priority, more memory never worsens either`, () => {
      for (const vram of VRAM_GB) {
        for (const ram of RAM_GB) {
          const hw = machine(vram, ram);
          const both = selectForSlots(hw, policy, { completion, chat });
          const c = usage(completion.ladder, completion.context, both.completion);
          const h = usage(chat.ladder, chat.context, both.chat);
          assert.ok(c.gpu + h.gpu <= vram * GiB, `VRAM overbooked at ${vram}/${ram}`);
          assert.ok(c.ram + h.ram <= ram * GiB, `RAM overbooked at ${vram}/${ram}`);
          // Completion gets what it would get alone whenever the machine has room for its best pick.
          const alone = selectModel(completion.ladder, hw, completion.context, policy);
          const unlimited = picked(
            selectModel(completion.ladder, machine(vram > 0 ? 1024 : 0, 1024), completion.context, policy),
          );
          if (!isNoFit(alone) && alone.estimate.totalBytes >= unlimited.estimate.totalBytes) {
            assert.equal((both.completion as ModelSelection).quant, alone.quant);
          }
          for (const bigger of [machine(vram, ram * 2), machine(vram === 0 ? 1 : vram * 2, ram)]) {
            const more = selectForSlots(bigger, policy, { completion, chat });
            assert.ok(
              compareSelectionKeys(
                key(policy, completion.ladder, more.completion!),
                key(policy, completion.ladder, both.completion!),
              ) >= 0,
            );
            assert.ok(
              compareSelectionKeys(key(policy, chat.ladder, more.chat!), key(policy, chat.ladder, both.chat!)) >= 0,
              `chat worse at more than ${vram}/${ram}`,
            );
          }
        }
      }
    });
  }

  it("on 8 GB VRAM (balanced) completion is fully on the GPU and chat gets the rest", () => {
    const r = selectForSlots(machine(8, 16), "balanced", { completion, chat });
    const c = picked(r.completion!);
    const h = picked(r.chat!);
    assert.deepEqual([c.quant, c.placement], ["Q8_0", "gpu"]);
    assert.equal(h.placement, "gpu");
    assert.ok(r.budgets.chat!.gpuBytes === 8 * GiB - c.estimate.totalBytes);
    assert.ok(h.estimate.totalBytes <= 8 * GiB - c.estimate.totalBytes);
  });

  it("a single slot gets the whole machine", () => {
    const r = selectForSlots(machine(8, 16), "balanced", { chat });
    assert.equal(r.completion, null);
    assert.deepEqual(r.budgets.chat, memoryBudgets(machine(8, 16)));
    assert.deepEqual(r.chat, selectModel(chat.ladder, machine(8, 16), chat.context, "balanced"));
  });

  it("unified memory: both picks together fit in free RAM", () => {
    const mac = machine(16, 24, { gpu: "metal", unifiedMemory: true, ramFreeBytes: 12 * GiB });
    for (const policy of POLICIES) {
      const r = selectForSlots(mac, policy, { completion, chat });
      const total = [r.completion, r.chat].reduce((s, x) => s + (x && !isNoFit(x) ? x.estimate.totalBytes : 0), 0);
      assert.ok(total <= 12 * GiB, policy);
      assert.ok(!isNoFit(r.completion!) && !isNoFit(r.chat!), policy);
    }
  });
});
