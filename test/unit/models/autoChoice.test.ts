import * as assert from "node:assert/strict";
import {
  autoCandidates,
  completionGpuCap,
  cpuTokensPerSecond,
  DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND,
  assemblePairKey,
  remainingBudgets,
  slotKeyParts,
  type AutoCandidate,
  type AutoChoice,
  type PlacedOption,
  type SlotChoice,
} from "../../../src/core/models/autoChoice";
import { estimateMemory, splitEstimate, type ContextSpecInput } from "../../../src/core/models/fitEstimate";
import { memoryBudgets, type HardwareProfile, type MemoryBudgets } from "../../../src/core/models/hardwareProfile";
import { AUTO_DEFAULTS, autoChoiceFor } from "../../../src/core/models/modelPlan";
import {
  compareSelectionKeys,
  ladderWeights,
  nominalBitsOf,
  sumEstimates,
  type LadderQuant,
  type Option,
  type QuantPolicy,
} from "./autoChoiceHelpers";
import {
  apple,
  cpuOnly,
  CPU_RAM,
  nvidia,
  NVIDIA_RAM,
  NVIDIA_VRAM,
  APPLE_UNIFIED,
  PROFILES,
  type NamedProfile,
} from "./hardwareProfiles";

const POLICIES: QuantPolicy[] = ["quality", "balanced", "speed"];
const completionContext: ContextSpecInput = {
  contextSize: AUTO_DEFAULTS.completionContext,
  sequences: AUTO_DEFAULTS.sequences,
};
const chatContext: ContextSpecInput = { contextSize: AUTO_DEFAULTS.chatContext, sequences: AUTO_DEFAULTS.sequences };

interface Use {
  gpuBytes: number;
  ramBytes: number;
}

/** Memory a slot's pick takes on each side, recomputed from its placement (not taken from the choice). */
function useOf(slot: SlotChoice, context: ContextSpecInput, unified: boolean): Use {
  const s = slot.selection;
  assert.ok(s.quant !== null, `${slot.id}: ${s.reason}`);
  const q = slot.ladder.quants.find((x) => x.quant === s.quant)!;
  if (s.placement === "gpu") {
    const e = estimateMemory(slot.ladder.arch, ladderWeights(q), context, "gpu").totalBytes;
    return { gpuBytes: e, ramBytes: unified ? e : 0 };
  }
  if (s.placement === "cpu")
    return { gpuBytes: 0, ramBytes: estimateMemory(slot.ladder.arch, ladderWeights(q), context, "cpu").totalBytes };
  const split = splitEstimate(slot.ladder.arch, ladderWeights(q), context, s.gpuLayers);
  return { gpuBytes: split.gpu.totalBytes, ramBytes: split.cpu.totalBytes };
}

function assertFits(choice: AutoChoice, hw: HardwareProfile, label: string): void {
  const b = memoryBudgets(hw);
  const unified = hw.unifiedMemory;
  const c = useOf(choice.completion!, completionContext, unified);
  const h = useOf(choice.chat!, chatContext, unified);
  assert.ok(c.gpuBytes + h.gpuBytes <= b.gpuBytes, `${label}: VRAM ${c.gpuBytes + h.gpuBytes} > ${b.gpuBytes}`);
  assert.ok(c.ramBytes + h.ramBytes <= b.ramBytes, `${label}: RAM ${c.ramBytes + h.ramBytes} > ${b.ramBytes}`);
  // Headroom: each estimate carries its safety margin.
  assert.ok(choice.completion!.selection.quant !== null && choice.completion!.selection.estimate.marginBytes > 0);
}

/**
 * Every placement of a quant that fits `budgets`, not only the best one: full GPU, each split
 * from 1 layer up, and the CPU. The brute force then sees pairs the choice never builds.
 */
function allPlacements(
  c: AutoCandidate,
  q: LadderQuant,
  context: ContextSpecInput,
  budgets: MemoryBudgets,
  unified: boolean,
): PlacedOption[] {
  const out: PlacedOption[] = [];
  const arch = c.ladder.arch;
  const w = ladderWeights(q);
  const make = (option: Option, use: Use): PlacedOption => ({
    candidate: c,
    option,
    use,
    cpuTokensPerSecond: cpuTokensPerSecond(option, arch.blockCount, DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND),
  });
  const gpu = estimateMemory(arch, w, context, "gpu");
  if (budgets.gpuBytes > 0 && gpu.totalBytes <= budgets.gpuBytes && (!unified || gpu.totalBytes <= budgets.ramBytes))
    out.push(
      make(
        { q, placement: "gpu", gpuLayers: arch.blockCount, estimate: gpu, budgetBytes: budgets.gpuBytes },
        { gpuBytes: gpu.totalBytes, ramBytes: unified ? gpu.totalBytes : 0 },
      ),
    );
  if (budgets.partialOffload && budgets.gpuBytes > 0)
    for (let n = 1; n < arch.blockCount; n++) {
      const s = splitEstimate(arch, w, context, n);
      if (s.gpu.totalBytes <= budgets.gpuBytes && s.cpu.totalBytes <= budgets.ramBytes)
        out.push(
          make(
            {
              q,
              placement: "partial",
              gpuLayers: n,
              estimate: sumEstimates(s.gpu, s.cpu),
              budgetBytes: budgets.gpuBytes + budgets.ramBytes,
            },
            { gpuBytes: s.gpu.totalBytes, ramBytes: s.cpu.totalBytes },
          ),
        );
    }
  const cpu = estimateMemory(arch, w, context, "cpu");
  if (cpu.totalBytes <= budgets.ramBytes)
    out.push(
      make(
        { q, placement: "cpu", gpuLayers: 0, estimate: cpu, budgetBytes: budgets.ramBytes },
        { gpuBytes: 0, ramBytes: cpu.totalBytes },
      ),
    );
  return out;
}

/**
 * The best key over every pair of placements that fits, completion within its GPU allowance.
 * Exhaustive without trying all pairs one by one: the pair key takes each position from one slot
 * (assemblePairKey), so for a fixed completion placement, chat placements compare by their own
 * parts alone. Sorting the chat placements once by that order, the first one that fits beside a
 * completion placement is the best partner it has (checked against the pairwise sweep on a few
 * machines below).
 */
function bruteForceBest(hw: HardwareProfile, policy: QuantPolicy, pairwise = false): number[] {
  const budgets = memoryBudgets(hw);
  const unified = hw.unifiedMemory;
  const comps = autoCandidates("completion");
  const chats = autoCandidates("chat");
  const cap = completionGpuCap(budgets, comps, completionContext);
  // Every chat placement on the whole machine once, best first.
  const anyComp = slotKeyParts(policy, "completion", null);
  const chatAll = chats
    .flatMap((h) => h.ladder.quants.flatMap((hq) => allPlacements(h, hq, chatContext, budgets, unified)))
    .map((hp) => {
      const parts = slotKeyParts(policy, "chat", hp);
      return { hp, parts, order: assemblePairKey(anyComp, parts) };
    })
    .sort((a, b) => compareSelectionKeys(b.order, a.order));
  let best: number[] | null = null;
  for (const c of comps)
    for (const cq of c.ladder.quants)
      for (const cp of allPlacements(c, cq, completionContext, { ...budgets, gpuBytes: cap }, unified)) {
        const rest = remainingBudgets(budgets, cp.use, unified);
        const compParts = slotKeyParts(policy, "completion", cp);
        for (const { hp, parts } of chatAll) {
          const fits =
            hp.use.gpuBytes <= rest.gpuBytes &&
            hp.use.ramBytes <= rest.ramBytes &&
            (hp.option.placement !== "partial" || rest.partialOffload);
          if (!fits) continue;
          const key = assemblePairKey(compParts, parts);
          if (!best || compareSelectionKeys(key, best) > 0) best = key;
          if (!pairwise) break;
        }
      }
  return best!;
}

/** autoChoiceFor is pure: each machine and policy is chosen once for the tests that sweep them. */
const choices = new Map<string, AutoChoice>();
function choiceFor(hw: HardwareProfile, policy: QuantPolicy): AutoChoice {
  const key = `${policy} ${JSON.stringify(hw)}`;
  let choice = choices.get(key);
  if (!choice) choices.set(key, (choice = autoChoiceFor(hw, policy)));
  return choice;
}

function anyCompletionFitsOnGpu(hw: HardwareProfile): boolean {
  const gpu = memoryBudgets(hw).gpuBytes;
  return autoCandidates("completion").some((c) =>
    c.ladder.quants.some(
      (q) => gpu > 0 && estimateMemory(c.ladder.arch, ladderWeights(q), completionContext, "gpu").totalBytes <= gpu,
    ),
  );
}

describe("auto: the joint choice of completion and chat", function () {
  this.timeout(60_000);

  for (const policy of POLICIES)
    it(`${policy}: on every listed machine the pair fits, keeps completion on the GPU, and no fitting pair ranks higher`, () => {
      for (const { name, profile } of PROFILES) {
        const choice = choiceFor(profile, policy);
        assertFits(choice, profile, name);
        if (anyCompletionFitsOnGpu(profile))
          assert.equal(
            choice.completion!.selection.quant !== null && choice.completion!.selection.placement,
            "gpu",
            `${name}: completion left the GPU`,
          );
        assert.deepEqual(choice.key, bruteForceBest(profile, policy), `${name}: a better pair fits`);
      }
    });

  it("the sorted sweep finds the same best pair as trying every pair one by one (a few machines)", () => {
    const cases: [NamedProfile, QuantPolicy][] = [
      [cpuOnly(8), "quality"],
      [nvidia(4, 16), "balanced"],
      [apple(16), "speed"],
    ];
    for (const [{ name, profile }, policy] of cases)
      assert.deepEqual(bruteForceBest(profile, policy), bruteForceBest(profile, policy, true), `${name} ${policy}`);
  });

  for (const policy of POLICIES)
    it(`${policy}: more memory never gives a worse pair`, () => {
      const chains: HardwareProfile[][] = [
        CPU_RAM.map((r) => cpuOnly(r).profile),
        APPLE_UNIFIED.map((u) => apple(u).profile),
        ...NVIDIA_RAM.map((r) => NVIDIA_VRAM.map((v) => nvidia(v, r).profile)),
        ...NVIDIA_VRAM.map((v) => NVIDIA_RAM.map((r) => nvidia(v, r).profile)),
      ];
      for (const chain of chains)
        for (let i = 1; i < chain.length; i++) {
          const smaller = choiceFor(chain[i - 1], policy).key;
          const bigger = choiceFor(chain[i], policy).key;
          assert.ok(
            compareSelectionKeys(bigger, smaller) >= 0,
            `${JSON.stringify(chain[i])} ranks below ${JSON.stringify(chain[i - 1])}`,
          );
        }
    });

  it("an 8 GB GPU with 16 GB RAM gets a 7B chat model at 4 bits or more beside a completion model fully on the GPU", () => {
    const choice = autoChoiceFor(nvidia(8, 16).profile, "balanced");
    assert.equal(choice.chat!.id, "qwen2.5-coder-7b-instruct");
    assert.ok(nominalBitsOf(choice.chat!.selection.quant!) >= 4);
    assert.equal(choice.completion!.selection.quant !== null && choice.completion!.selection.placement, "gpu");
    assert.match(choice.chat!.selection.reason, /largest chat model \(7B\)/);
  });

  it("on the CPU, the assumed bandwidth keeps chat above its speed floor; a measured faster machine gets the 7B", () => {
    const hw = cpuOnly(32).profile;
    const assumed = autoChoiceFor(hw, "balanced");
    assert.equal(assumed.chat!.id, "qwen2.5-coder-1.5b-instruct");
    assert.deepEqual(assumed.cpuBandwidth, { bytesPerSecond: DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND, measured: false });
    assert.match(assumed.chat!.selection.reason, /assumed, not measured/);
    const fast = autoChoiceFor(hw, "balanced", { cpuBandwidthBytesPerSecond: 60e9 });
    assert.equal(fast.chat!.id, "qwen2.5-coder-7b-instruct");
    assert.ok(fast.chat!.cpuTokensPerSecond! >= 5);
    assert.match(fast.chat!.selection.reason, /60\.0 GB\/s measured/);
    // An 8B-class file at Q8_0 (8.1 GB) reads too many bytes per token at 20 GB/s: not chosen.
    assert.notEqual(
      autoChoiceFor(cpuOnly(64).profile, "quality").chat!.selection.quant === "Q8_0" &&
        autoChoiceFor(cpuOnly(64).profile, "quality").chat!.id,
      "qwen2.5-coder-7b-instruct",
    );
  });

  it("considers a licence-gated model only once its licence is accepted", () => {
    assert.ok(!autoCandidates("completion").some((c) => c.id === "qwen2.5-coder-3b"));
    assert.ok(
      autoCandidates("completion", { acceptedLicences: ["qwen-research"] }).some((c) => c.id === "qwen2.5-coder-3b"),
    );
    // Only the Qwen2.5-Coder family: other families have no comparable score in the catalog.
    assert.deepEqual(
      autoCandidates("chat", { acceptedLicences: ["qwen-research", "gemma", "llama3.1"] }).map((c) => c.id),
      [
        "qwen2.5-coder-7b-instruct",
        "qwen2.5-coder-3b-instruct",
        "qwen2.5-coder-1.5b-instruct",
        "qwen2.5-coder-0.5b-instruct",
      ],
    );
    // A 6 GB GPU: with the 3B accepted, completion grows from 1.5B to 3B.
    const hw = nvidia(6, 16).profile;
    assert.equal(autoChoiceFor(hw, "balanced").completion!.id, "qwen2.5-coder-1.5b");
    assert.equal(
      autoChoiceFor(hw, "balanced", { acceptedLicences: ["qwen-research"] }).completion!.id,
      "qwen2.5-coder-3b",
    );
  });

  it("is deterministic and explains each slot in one line", () => {
    for (const { profile } of PROFILES) {
      const a = autoChoiceFor(profile, "balanced");
      assert.deepEqual(autoChoiceFor(profile, "balanced"), a);
      for (const slot of [a.completion!, a.chat!]) assert.ok(!slot.selection.reason.includes("\n"));
    }
  });
});
