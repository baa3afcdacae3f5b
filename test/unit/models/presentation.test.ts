import { licenceOffers } from "../../../src/core/models/licenceOffer";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findModel, ladderFromCatalog } from "../../../src/core/models/catalog";
import type { HardwareProfile } from "../../../src/core/models/hardwareProfile";
import { pinnedSelections, planSlots } from "../../../src/core/models/modelPlan";
import {
  candidateTable,
  downloadProgressText,
  firstRunPromptText,
  fitBadge,
  formatDuration,
  formatHardwareText,
  formatMB,
  formatSelectionText,
  formatSize,
  hardwareReportMarkdown,
  MODEL_COMMANDS,
  modelRow,
  notDownloadedProblem,
  qualityRelativeToBest,
  quantRows,
  RateMeter,
  shortModelName,
} from "../../../src/core/models/presentation";
import { isNoFit, selectModel, type ModelSelection, type SelectionResult } from "../../../src/core/models/selectModel";
import type { HardwareInfo } from "../../../src/core/protocol/workerProtocol";

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

const gemma = ladderFromCatalog(findModel("gemma-2-2b-it")!);
const qwen = ladderFromCatalog(findModel("qwen2.5-coder-1.5b")!);

function cpuInfo(extra: Partial<HardwareInfo> = {}): HardwareInfo {
  return {
    gpu: "none",
    requestedGpu: "auto",
    fallbackReason: null,
    gpuDeviceNames: [],
    vram: { total: 0, used: 0, free: 0, unifiedSize: 0 },
    ram: { total: 16 * GiB, free: 12 * GiB },
    swap: { total: 0, free: 0 },
    cpu: { physicalCores: 2, logicalCores: 4, model: "Test CPU" },
    platform: "linux",
    arch: "x64",
    ...extra,
  };
}

function picked(result: SelectionResult | null | undefined): ModelSelection {
  assert.ok(result && !isNoFit(result), `expected a pick: ${result?.reason}`);
  return result as ModelSelection;
}

describe("model presentation", () => {
  describe("sizes and names", () => {
    it("formats file sizes in decimal units as Hugging Face lists them", () => {
      assert.equal(formatSize(1646573056), "1.65 GB");
      assert.equal(formatSize(986e6), "986 MB");
      assert.equal(formatSize(999.4e6), "999 MB");
      assert.equal(formatSize(431_000), "431 kB");
      assert.equal(formatMB(1646573056), "1647 MB");
    });

    it("drops the parenthesised note from a display name", () => {
      assert.equal(shortModelName(findModel("qwen2.5-coder-1.5b")!), "Qwen2.5-Coder 1.5B");
      assert.equal(shortModelName({ displayName: "Gemma 2 2B Instruct" }), "Gemma 2 2B Instruct");
    });
  });

  describe("quality relative to the best quant", () => {
    it("uses measured perplexity: PPL(best) / PPL(quant)", () => {
      const q4km = qualityRelativeToBest(gemma, "Q4_K_M");
      // gemma-2-2b-it: F16 12.8792 is the best measured file; Q4_K_M 13.0641.
      assert.equal(q4km.bestPpl, 12.8792);
      assert.ok(Math.abs(q4km.percent! - (12.8792 / 13.0641) * 100) < 1e-9);
      assert.match(q4km.text, /^98\.6 % of best quality \(PPL 13\.06 vs 12\.88\)$/);
      const f16 = qualityRelativeToBest(gemma, "F16");
      assert.equal(f16.percent, 100);
      assert.match(f16.text, /best measured quality/);
      // Lower quants rank lower.
      assert.ok(qualityRelativeToBest(gemma, "IQ1_S").percent! < qualityRelativeToBest(gemma, "Q2_K").percent!);
    });

    it("falls back to nominal bits where nothing was measured", () => {
      const q = qualityRelativeToBest(qwen, "Q4_K_M");
      assert.equal(q.percent, null);
      assert.equal(q.bits, 4);
      assert.equal(q.text, "4-bit, PPL not measured");
      assert.equal(qualityRelativeToBest(qwen, "F16").text, "16-bit, PPL not measured");
    });
  });

  describe("fit badges", () => {
    it("names the placement each quant gets on this machine", () => {
      const ctx = { contextSize: 8192 };
      const partial = selectModel(gemma, machine(2, 16), ctx, "balanced", { pinQuant: "Q4_0" });
      assert.deepEqual(fitBadge(partial, 26), {
        kind: "partial",
        icon: "$(split-horizontal)",
        text: "partial: 15/26 layers on the GPU",
      });
      assert.equal(fitBadge(selectModel(gemma, machine(8, 16), ctx, "balanced", { pinQuant: "Q4_0" }), 26).kind, "gpu");
      assert.equal(fitBadge(selectModel(gemma, machine(0, 16), ctx, "balanced", { pinQuant: "Q4_0" }), 26).kind, "cpu");
      const tooBig = selectModel(gemma, machine(0, 2), ctx, "balanced", { pinQuant: "F16" });
      assert.ok(isNoFit(tooBig));
      assert.equal(fitBadge(tooBig, 26).kind, "none");
      assert.equal(fitBadge(undefined, 26).kind, "none");
    });
  });

  describe("quant rows", () => {
    const hw = machine(2, 16);
    const plans = planSlots(hw, "balanced", { chat: { setting: "gemma-2-2b-it", contextSize: 8192 } });
    const plan = plans.chat!;
    const pinned = pinnedSelections(plan, hw, "balanced");
    const recommended = picked(plan.selection).quant;
    const rows = quantRows({ ladder: plan.ladder!, pinned, recommended, downloaded: new Set(["Q8_0"]) });

    it("puts the recommended quant first, starred", () => {
      assert.equal(recommended, "Q4_K_S");
      assert.equal(rows[0].quant, "Q4_K_S");
      assert.equal(rows[0].label, "$(star-full) Q4_K_S");
      assert.ok(rows[0].recommended);
      assert.equal(rows.filter((r) => r.recommended).length, 1);
      assert.match(
        rows[0].detail,
        /partial: 15\/26 layers on the GPU · needs 3\.57 GiB · recommended for this machine/,
      );
    });

    it("orders the rest by placement, then larger files first, with non-fitting ones last", () => {
      const rank = { gpu: 0, partial: 1, cpu: 2, none: 3 } as const;
      const rest = rows.slice(1);
      for (let i = 1; i < rest.length; i++) {
        const a = rest[i - 1];
        const b = rest[i];
        assert.ok(rank[a.fit] <= rank[b.fit], `${a.quant} (${a.fit}) before ${b.quant} (${b.fit})`);
        if (a.fit === b.fit) {
          const size = (q: string) => gemma.quants.find((x) => x.quant === q)!.sizeBytes;
          assert.ok(size(a.quant) >= size(b.quant), `${a.quant} >= ${b.quant}`);
        }
      }
      assert.equal(rows.length, gemma.quants.length);
    });

    it("shows size, quality and whether the file is on disk", () => {
      const q8 = rows.find((r) => r.quant === "Q8_0")!;
      assert.ok(q8.downloaded);
      assert.match(q8.detail, /\$\(pass-filled\) downloaded/);
      assert.match(q8.description, /^2\.\d\d GB · 99\.9 % of best quality/);
      assert.ok(!rows.find((r) => r.quant === "Q4_0")!.downloaded);
    });

    it("marks quants that fit nowhere on a small machine", () => {
      const small = machine(0, 3);
      const p = planSlots(small, "balanced", { chat: { setting: "gemma-2-2b-it", contextSize: 8192 } }).chat!;
      const r = quantRows({
        ladder: p.ladder!,
        pinned: pinnedSelections(p, small, "balanced"),
        recommended: null,
        downloaded: new Set(),
      });
      const f16 = r.find((x) => x.quant === "F16")!;
      assert.equal(f16.fit, "none");
      assert.match(f16.detail, /too big for this machine · needs \d+\.\d\d GiB/);
      assert.equal(r[r.length - 1].fit, "none");
    });
  });

  it("describes a catalog model row with its pick, licence note and downloads", () => {
    const model = findModel("gemma-2-2b-it")!;
    const sel = selectModel(gemma, machine(2, 16), { contextSize: 8192 }, "balanced");
    const row = modelRow({ model, selection: sel, isAuto: false, downloadedCount: 2 });
    assert.equal(row.label, "Gemma 2 2B Instruct");
    assert.match(row.description, /gemma-2-2b-it · licence must be accepted on Hugging Face/);
    assert.match(row.detail, /^best fit here: Q4_K_S, 1\.\d\d GB, partial 15\/26 · 2 downloaded$/);
    const qwenRow = modelRow({
      model: findModel("qwen2.5-coder-1.5b")!,
      selection: selectModel(qwen, machine(0, 1), { contextSize: 4096 }, "balanced"),
      isAuto: true,
      downloadedCount: 0,
    });
    assert.equal(qwenRow.detail, "nothing fits this machine");
    assert.match(qwenRow.description, /auto's choice here/);
  });

  it("words the not-downloaded problem and the first-run prompt", () => {
    assert.equal(
      notDownloadedProblem("qwen2.5-coder-1.5b", "Q8_0", 1646573056),
      "Model qwen2.5-coder-1.5b (Q8_0, 1647 MB) is not downloaded yet — run Local Code: Select Model",
    );
    assert.equal(
      firstRunPromptText(findModel("qwen2.5-coder-1.5b")!, "Q8_0", 1646573056),
      "Local Code Assistant: download the recommended completion model Qwen2.5-Coder 1.5B Q8_0 (1.65 GB)?",
    );
  });

  describe("download progress", () => {
    it("shows the percentage, MB done / total, speed, time left and where a resume started", () => {
      assert.equal(downloadProgressText(812e6, 1647e6, 11.2e6), "49 % · 812 / 1647 MB · 11.2 MB/s · 1 min 15 s left");
      assert.equal(downloadProgressText(812.9e6, 1646.6e6, null), "49 % · 812 / 1647 MB");
      assert.equal(downloadProgressText(812e6, null, 11.2e6), "812 MB · 11.2 MB/s");
      assert.equal(downloadProgressText(0, 1647e6, null), "0 % · 0.0 / 1647 MB");
      assert.equal(downloadProgressText(1647e6, 1647e6, null, 500e6), "100 % · 1647 / 1647 MB · resumed at 500 MB");
      // A small file still shows progress.
      assert.equal(downloadProgressText(233_344, 466_688, null, 120_000), "50 % · 0.2 / 0.5 MB · resumed at 0.1 MB");
      assert.equal(formatDuration(3 * 3600 + 125), "3 h 2 min");
    });

    it("measures speed over a sliding window, not counting resumed bytes", () => {
      const meter = new RateMeter(5000);
      assert.equal(meter.sample(500e6, 0), null); // resumed at 500 MB: no speed yet
      assert.equal(meter.sample(510e6, 1000), 10e6);
      assert.equal(meter.sample(530e6, 2000), 15e6);
      // Later samples slide the window: only the last ~5 s count.
      meter.sample(531e6, 8000);
      const late = meter.sample(532e6, 9000)!;
      assert.ok(late < 1e6, `${late}`);
    });
  });

  describe("hardware text", () => {
    it("summarises a CPU-only machine without a VRAM line", () => {
      const text = formatHardwareText(cpuInfo());
      assert.match(text, /^Backend: +CPU only \(requested: auto\)$/m);
      assert.match(text, /^RAM: +12\.00 GiB free of 16\.00 GiB$/m);
      assert.match(text, /^CPU: +Test CPU \(2 physical \/ 4 logical cores\)$/m);
      assert.doesNotMatch(text, /VRAM/);
      assert.doesNotMatch(text, /Fallback/);
    });

    it("shows VRAM, device names and a fallback reason", () => {
      const text = formatHardwareText(
        cpuInfo({
          gpu: "vulkan",
          requestedGpu: "cuda",
          fallbackReason: "CUDA failed",
          gpuDeviceNames: ["RTX 3060"],
          vram: { total: 12 * GiB, used: 2 * GiB, free: 10 * GiB, unifiedSize: 0 },
        }),
      );
      assert.match(text, /^Backend: +Vulkan \(requested: cuda\)$/m);
      assert.match(text, /^GPU: +RTX 3060$/m);
      assert.match(text, /^VRAM: +10\.00 GiB free of 12\.00 GiB$/m);
      assert.match(text, /^Fallback: +CUDA failed$/m);
    });
  });

  describe("select text and candidate table", () => {
    const hw = machine(2, 16);
    const result = selectModel(gemma, hw, { contextSize: 8192 }, "balanced");
    const about = {
      model: "gemma-2-2b-it",
      policy: "balanced",
      contextSize: 8192,
      sequences: 1,
      hardware: hw,
      hardwareSource: "from flags",
    };

    it("prints the pick, why, the memory split and every candidate", () => {
      const text = formatSelectionText(result, about);
      assert.match(
        text,
        /^Pick: +Q4_K_S \(gemma-2-2b-it-Q4_K_S\.gguf, 1\.\d\d GB\), partial offload, 15 layers on the GPU$/m,
      );
      assert.match(text, /^Why: +balanced: no 4-8-bit quant fits fully in VRAM/m);
      assert.match(
        text,
        /^Memory: +weights 1\.53 GiB \(0\.65 GiB of it repacked by the CPU\) \+ KV 0\.65 GiB \+ compute 0\.99 GiB \+ margin \d\.\d\d GiB = 3\.57 GiB of 18\.00 GiB$/m,
      );
      assert.match(text, /^\* Q4_K_S /m);
      const tableLines = text
        .trimEnd()
        .split("\n")
        .slice(-(result.candidates.length + 1));
      assert.match(tableLines[0], /^ +quant +file size +PPL +needs +fits +where$/);
    });

    it("says why nothing fits", () => {
      const none = selectModel(gemma, machine(0, 1), { contextSize: 8192 }, "balanced");
      const text = formatSelectionText(none, { ...about, hardware: machine(0, 1) });
      assert.match(text, /^No pick\. Nothing fits: /m);
      assert.doesNotMatch(text, /^\* /m);
    });

    it("renders a markdown table with the pick in bold and the on-disk column", () => {
      const md = candidateTable(result.candidates, "Q4_K_S", "markdown", new Set(["Q8_0"]));
      const lines = md.split("\n");
      assert.equal(lines[0], "| quant | file size | PPL | needs | fits | where | on disk |");
      assert.equal(lines.length, result.candidates.length + 2);
      assert.ok(lines.some((l) => l.startsWith("| **Q4_K_S** |")));
      assert.ok(lines.some((l) => l.startsWith("| Q8_0 |") && l.endsWith("| yes |")));
    });
  });

  describe("hardware report", () => {
    it("shows what was detected and, per slot, the pick, why and the candidates", () => {
      const hw = machine(0, 12);
      const plans = planSlots(
        hw,
        "balanced",
        {
          completion: { setting: "auto", contextSize: 4096 },
          chat: {
            setting: "/models/missing.gguf",
            contextSize: 8192,
            fileLadder: new Error("Model file not found: /models/missing.gguf"),
          },
        },
        { sequences: 2 },
      );
      const md = hardwareReportMarkdown({
        info: cpuInfo(),
        profile: hw,
        measuredAt: new Date("2025-01-02T03:04:05Z"),
        policy: "balanced",
        slots: [
          {
            plan: plans.completion!,
            status: { kind: "problem", text: notDownloadedProblem("qwen2.5-coder-1.5b", "Q8_0", 1646573056) },
            downloaded: new Set(),
          },
          {
            plan: plans.chat!,
            status: { kind: "problem", text: "Model file not found: /models/missing.gguf" },
            downloaded: new Set(),
          },
        ],
      });
      assert.match(md, /^\| Backend \| CPU only \(requested: auto\) \|$/m);
      assert.match(md, /^\| RAM \| 12\.00 GiB free of 16\.00 GiB \|$/m);
      assert.match(md, /^\| Fallback \| none \|$/m);
      assert.match(md, /^\| CPU memory bandwidth \| not measured: auto assumes 20 GB\/s \|$/m);
      const measured = hardwareReportMarkdown({
        info: cpuInfo(),
        profile: hw,
        measuredAt: new Date(),
        policy: "balanced",
        slots: [],
        cpuBandwidth: { bytesPerSecond: 23.46e9, measuredAt: "2026-12-03T10:00:00.000Z" },
      });
      assert.match(
        measured,
        /^\| CPU memory bandwidth \| 23\.5 GB\/s \(copy probe, 2026-12-03\); auto's CPU speed estimate uses 23\.5 GB\/s \(the probe only raises its 20 GB\/s default\) \|$/m,
      );
      const slow = hardwareReportMarkdown({
        info: cpuInfo(),
        profile: hw,
        measuredAt: new Date(),
        policy: "balanced",
        slots: [],
        cpuBandwidth: { bytesPerSecond: 8.5e9, measuredAt: "2026-12-03T10:00:00.000Z" },
      });
      assert.match(
        slow,
        /^\| CPU memory bandwidth \| 8\.5 GB\/s \(copy probe, 2026-12-03\); auto's CPU speed estimate uses 20\.0 GB\/s/m,
      );
      assert.doesNotMatch(md, /Prompt window/, "no line without a prompt budget");
      const withBudget = hardwareReportMarkdown({
        info: cpuInfo(),
        profile: hw,
        measuredAt: new Date(),
        policy: "balanced",
        slots: [{ plan: plans.completion!, status: { kind: "problem", text: "x" }, downloaded: new Set() }],
        promptBudget: { tokens: 256, why: "auto: 256 tokens | measured", samples: 2 },
      });
      assert.match(
        withBudget,
        /^- Prompt window: \*\*256 tokens\*\*: auto: 256 tokens \\\| measured \(median of 2 measured requests\) \(`localCode\.completion\.promptTokens`\)$/m,
      );
      assert.match(md, /Measured 2025-01-02 03:04:05 UTC/);
      assert.match(md, /^## Completion: `auto`$/m);
      assert.match(md, /Qwen2\.5-Coder 1\.5B \(base, FIM\) \(`qwen2\.5-coder-1\.5b`\), chosen by auto/);
      assert.match(md, /^- Context: 4096 tokens × 2 sequences$/m);
      assert.match(md, /^- Pick: \*\*Q8_0\*\* \(1\.65 GB\), CPU$/m);
      assert.match(
        md,
        /^- Why: balanced: no completion model fits on the GPU; qwen2\.5-coder-1\.5b Q8_0 is the largest above 10 tokens\/s, about 12\.1 tokens\/s on the CPU \(20\.0 GB\/s assumed, not measured\)/m,
      );
      assert.match(md, /^- Status: Model qwen2\.5-coder-1\.5b \(Q8_0, 1647 MB\) is not downloaded yet/m);
      assert.match(md, /^\| \*\*Q8_0\*\* \|/m);
      assert.match(md, /^## Chat: `\/models\/missing\.gguf`$/m);
      assert.match(md, /^- Problem: Model file not found: \/models\/missing\.gguf$/m);
      assert.doesNotMatch(md, /^- Licence:/m);
    });

    it("names, in its slot, the auto pick that waits on a licence and how to accept it", () => {
      const hw = machine(0, 12);
      const slots = {
        completion: { setting: "auto", contextSize: 4096 },
        chat: { setting: "auto", contextSize: 8192 },
      };
      const plans = planSlots(hw, "balanced", slots, { sequences: 2 });
      const unlocked = planSlots(hw, "balanced", slots, { sequences: 2, acceptedLicences: ["qwen-research"] });
      const offers = licenceOffers(plans, unlocked, []);
      assert.deepEqual(
        offers.map((o) => o.slot),
        ["completion", "chat"],
      );
      const md = hardwareReportMarkdown({
        info: cpuInfo(),
        profile: hw,
        measuredAt: new Date(),
        policy: "balanced",
        slots: (["completion", "chat"] as const).map((slot) => ({
          plan: plans[slot]!,
          status: { kind: "problem" as const, text: "not downloaded" },
          downloaded: new Set<string>(),
        })),
        licenceOffers: offers.filter((o) => o.slot === "chat"),
      });
      const chat = md.slice(md.indexOf("## Chat"));
      assert.match(
        chat,
        /^- Licence: Auto would pick Qwen2\.5-Coder 3B Instruct \w+ for chat .*"qwen-research".*localCode\.acceptedLicences\. \*\*Local Code: Select Model\*\* offers to accept it\.$/m,
      );
      assert.doesNotMatch(md.slice(0, md.indexOf("## Chat")), /^- Licence:/m);
    });
  });

  describe("package.json", () => {
    const root = path.resolve(__dirname, "../../../..");
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
      contributes?: { commands?: { command: string; title: string; category?: string }[] };
    };
    const commands = manifest.contributes?.commands ?? [];

    // No skip when the entries are missing: a removed contribution must fail here.
    it("declares the model commands with their titles under Local Code", function () {
      for (const { id, title } of Object.values(MODEL_COMMANDS)) {
        const entry = commands.find((c) => c.command === id);
        assert.ok(entry, `${id} missing`);
        assert.equal(entry.title, title);
        assert.equal(entry.category, "Local Code");
      }
    });
  });
});
