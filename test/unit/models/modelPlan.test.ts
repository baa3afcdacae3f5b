import * as assert from "node:assert/strict";
import { ladderFromGgufFile } from "../../../src/core/models/catalog";
import { kvCacheBytes } from "../../../src/core/models/fitEstimate";
import type { HardwareProfile } from "../../../src/core/models/hardwareProfile";
import { autoChoiceFor, pinnedSelections, planSlots, selectAmongDownloaded } from "../../../src/core/models/modelPlan";
import {
  isNoFit,
  selectForSlots,
  selectModel,
  type ModelSelection,
  type SelectionResult,
} from "../../../src/core/models/selectModel";

const GiB = 1024 ** 3;

function machine(vramGiB: number, ramGiB: number): HardwareProfile {
  return {
    gpu: vramGiB > 0 ? "cuda" : "none",
    vramTotalBytes: vramGiB * GiB,
    vramFreeBytes: vramGiB * GiB,
    ramTotalBytes: ramGiB * GiB,
    ramFreeBytes: ramGiB * GiB,
    unifiedMemory: false,
    cpuCores: 8,
  };
}

function picked(result: SelectionResult | null | undefined): ModelSelection {
  assert.ok(result && !isNoFit(result), `expected a pick: ${result?.reason}`);
  return result as ModelSelection;
}

describe("model plan", () => {
  it("auto plans both slots with the joint choice, exactly as autoChoiceFor (what the CLI prints)", () => {
    for (const hw of [machine(0, 16), machine(8, 16), machine(24, 64)]) {
      const plans = planSlots(
        hw,
        "balanced",
        { completion: { setting: "auto", contextSize: 4096 }, chat: { setting: "auto", contextSize: 8192 } },
        { sequences: 2 },
      );
      const choice = autoChoiceFor(hw, "balanced");
      assert.equal(plans.completion!.model?.id, choice.completion!.id);
      assert.equal(plans.chat!.model?.id, choice.chat!.id);
      assert.deepEqual(plans.completion!.selection, choice.completion!.selection);
      assert.deepEqual(plans.chat!.selection, choice.chat!.selection);
      assert.ok(plans.completion!.joint && plans.chat!.joint && plans.chat!.shared);
    }
  });

  it("plans two explicit settings on a shared machine, as selectForSlots does, with the worker's sequences", () => {
    const hw = machine(0, 16);
    const plans = planSlots(
      hw,
      "balanced",
      {
        completion: { setting: "qwen2.5-coder-1.5b", contextSize: 4096 },
        chat: { setting: "qwen2.5-coder-1.5b-instruct", contextSize: 8192 },
      },
      { sequences: 2 },
    );
    const c = plans.completion!;
    const h = plans.chat!;
    assert.equal(c.context.sequences, 2);
    const direct = selectForSlots(hw, "balanced", {
      completion: { ladder: c.ladder!, context: { contextSize: 4096, sequences: 2 } },
      chat: { ladder: h.ladder!, context: { contextSize: 8192, sequences: 2 } },
    });
    assert.deepEqual(c.selection, direct.completion);
    assert.deepEqual(h.selection, direct.chat);
    assert.equal(c.budgets!.ramBytes + h.budgets!.ramBytes, hw.ramFreeBytes);
    // Two sequences hold twice the KV cells of one.
    const one = planSlots(hw, "balanced", {
      completion: { setting: "qwen2.5-coder-1.5b", contextSize: 4096 },
    }).completion!;
    assert.equal(picked(c.selection).estimate.kvCacheBytes, 2 * kvCacheBytes(c.ladder!.arch, { contextSize: 4096 }));
    assert.equal(picked(one.selection).estimate.kvCacheBytes, kvCacheBytes(c.ladder!.arch, { contextSize: 4096 }));
  });

  it("pins an explicit quant (case-insensitive) and keeps its catalog spelling", () => {
    const plan = planSlots(machine(0, 16), "balanced", {
      completion: { setting: "qwen2.5-coder-1.5b:q4_k_m", contextSize: 4096 },
    }).completion!;
    assert.equal(plan.source, "catalog");
    assert.equal(plan.pinQuant, "Q4_K_M");
    assert.equal(picked(plan.selection).quant, "Q4_K_M");
    assert.match(picked(plan.selection).reason, /as set explicitly/);
  });

  it("turns a bad setting into a problem naming the valid ids, and leaves the machine to the other slot", () => {
    const hw = machine(0, 16);
    const plans = planSlots(hw, "balanced", {
      completion: { setting: "qwen9-coder", contextSize: 4096 },
      chat: { setting: "auto", contextSize: 8192 },
    });
    assert.match(
      plans.completion!.problem!,
      /^localCode\.completion\.model: Unknown model "qwen9-coder"\. completion models: .*qwen2\.5-coder-1\.5b/,
    );
    assert.equal(plans.completion!.selection, null);
    assert.equal(plans.chat!.budgets!.ramBytes, hw.ramFreeBytes);
    const wrongRole = planSlots(hw, "balanced", {
      completion: { setting: "gemma-2-2b-it", contextSize: 4096 },
    }).completion!;
    assert.match(wrongRole.problem!, /is not a completion model/);
  });

  it("plans a path setting from its header ladder, or reports why it could not be read", () => {
    const ladder = ladderFromGgufFile(
      "/m/x.gguf",
      {
        architecture: "qwen2",
        blockCount: 28,
        embeddingLength: 1536,
        headCount: 12,
        headCountKv: 2,
        vocabSize: 151936,
      },
      1.6e9,
      "Q8_0",
    );
    const ok = planSlots(machine(0, 16), "balanced", {
      completion: { setting: "/m/x.gguf", contextSize: 4096, fileLadder: ladder },
    }).completion!;
    assert.equal(ok.source, "path");
    assert.equal(ok.pinQuant, "Q8_0");
    assert.equal(picked(ok.selection).placement, "cpu");
    const bad = planSlots(machine(0, 16), "balanced", {
      completion: { setting: "/m/x.gguf", contextSize: 4096, fileLadder: new Error("Model file not found: /m/x.gguf") },
    }).completion!;
    assert.equal(bad.problem, "Model file not found: /m/x.gguf");
    const relative = planSlots(machine(0, 16), "balanced", {
      completion: { setting: "models/x.gguf", contextSize: 4096 },
    }).completion!;
    assert.match(relative.problem!, /not an absolute path/);
  });

  it("falls back to the best downloaded quant that fits the slot's share", () => {
    const hw = machine(0, 16);
    const plan = planSlots(hw, "balanced", { completion: { setting: "auto", contextSize: 4096 } }).completion!;
    assert.equal(picked(plan.selection).quant, "Q8_0");
    assert.equal(selectAmongDownloaded(plan, new Set(), hw, "balanced"), null);
    assert.equal(picked(selectAmongDownloaded(plan, new Set(["Q4_K_M"]), hw, "balanced")).quant, "Q4_K_M");
    // Among several downloaded, the policy's order still applies (5-bit over 4-bit on the CPU).
    assert.equal(picked(selectAmongDownloaded(plan, new Set(["Q4_K_M", "Q5_K_M"]), hw, "balanced")).quant, "Q5_K_M");
    // A downloaded file that does not fit is not used.
    const small = machine(0, 2);
    const tight = planSlots(small, "balanced", { completion: { setting: "auto", contextSize: 4096 } }).completion!;
    assert.equal(selectAmongDownloaded(tight, new Set(["F16"]), small, "balanced"), null);
    // An explicit quant is not swapped for another one.
    const pinned = planSlots(hw, "balanced", {
      completion: { setting: "qwen2.5-coder-1.5b:Q8_0", contextSize: 4096 },
    }).completion!;
    assert.equal(selectAmongDownloaded(pinned, new Set(["Q4_K_M"]), hw, "balanced"), null);
  });

  it("places every quant on its own for the badges", () => {
    const hw = machine(2, 16);
    const plan = planSlots(hw, "balanced", { chat: { setting: "gemma-2-2b-it", contextSize: 8192 } }).chat!;
    const pinned = pinnedSelections(plan, hw, "balanced");
    assert.equal(pinned.size, plan.ladder!.quants.length);
    const q4 = picked(pinned.get("Q4_0"));
    assert.equal(q4.placement, "partial");
    assert.equal(q4.gpuLayers, 15);
    // A smaller file puts more layers on the same GPU.
    assert.ok(picked(pinned.get("IQ1_S")).gpuLayers > q4.gpuLayers);
    assert.ok(picked(pinned.get("Q8_0")).gpuLayers < q4.gpuLayers);
  });

  it("badges a completion quant on the share it gets once chosen, not on the current pick's share", () => {
    // Explicit settings: completion's share is sized for its pick, Q8_0. An F16 needs more than
    // that share, yet chosen it fits.
    const hw = machine(0, 16);
    const plans = planSlots(hw, "balanced", {
      completion: { setting: "qwen2.5-coder-1.5b", contextSize: 4096 },
      chat: { setting: "qwen2.5-coder-1.5b-instruct", contextSize: 8192 },
    });
    const plan = plans.completion!;
    assert.ok(plan.shared);
    assert.equal(picked(plan.selection).quant, "Q8_0");
    assert.ok(
      isNoFit(selectModel(plan.ladder!, hw, plan.context, "balanced", { budgets: plan.budgets!, pinQuant: "F16" })),
      "not on the Q8_0 share",
    );
    const badge = picked(pinnedSelections(plan, hw, "balanced").get("F16"));
    assert.equal(badge.placement, "cpu");
    // What the plan gives once the setting pins it.
    const chosen = planSlots(hw, "balanced", {
      completion: { setting: "qwen2.5-coder-1.5b:F16", contextSize: 4096 },
      chat: { setting: "qwen2.5-coder-1.5b-instruct", contextSize: 8192 },
    }).completion!;
    assert.deepEqual(picked(chosen.selection).estimate, badge.estimate);
    // Chat keeps its share: the completion pick it was sized against does not move.
    const chat = plans.chat!;
    for (const [quant, r] of pinnedSelections(chat, hw, "balanced")) {
      if (!isNoFit(r)) assert.ok(r.estimate.totalBytes <= chat.budgets!.ramBytes, quant);
    }
  });

  it("with auto, each slot's badges use the share the joint choice left it (what the other slot does not hold)", () => {
    const hw = machine(0, 16);
    const plans = planSlots(
      hw,
      "balanced",
      { completion: { setting: "auto", contextSize: 4096 }, chat: { setting: "auto", contextSize: 8192 } },
      { sequences: 2 },
    );
    const c = plans.completion!;
    const h = plans.chat!;
    assert.equal(c.budgets!.ramBytes + picked(h.selection).estimate.totalBytes, hw.ramFreeBytes);
    assert.equal(h.budgets!.ramBytes + picked(c.selection).estimate.totalBytes, hw.ramFreeBytes);
    for (const plan of [c, h])
      for (const [quant, r] of pinnedSelections(plan, hw, "balanced"))
        if (!isNoFit(r)) assert.ok(r.estimate.totalBytes <= plan.budgets!.ramBytes, quant);
  });
});
