import * as assert from "node:assert/strict";
import {
  WarmUpPlanner,
  onBatteryFromPmset,
  onBatteryFromSysfs,
  type WarmUpCheck,
} from "../../../src/core/completion/scheduling/warmUp";
import { completionPipeline } from "../../../src/core/completion/pipeline";
import { DEFAULT_COMPLETION_SETTINGS } from "../../../src/core/completion/settings";
import { CompletionCache } from "../../../src/core/completion/caching/completionCache";
import type { GenerateRequestInput, GenerationResult } from "../../../src/core/protocol/workerProtocol";

const A = { uri: "file:///a.ts", line: 10 };
const B = { uri: "file:///b.ts", line: 3 };
const check = (planner: WarmUpPlanner, now: number, change: Partial<WarmUpCheck> = {}) =>
  planner.check({ now, place: A, enabled: true, busy: false, onBattery: false, modelLoaded: true, ...change });

describe("warm-up planner", () => {
  it("warms up a new place after the pause, once", () => {
    const p = new WarmUpPlanner(500);
    assert.equal(p.moved(A, 1000), 500);
    assert.deepEqual(check(p, 1500), { run: true });
    assert.equal(p.moved(A, 1600), null, "the place is prompted now");
    assert.deepEqual(check(p, 2200), { run: false, reason: "samePlace" });
  });

  it("a keystroke (anywhere) during the pause cancels it", () => {
    const p = new WarmUpPlanner(500);
    p.moved(A, 1000);
    p.typed(1200);
    assert.deepEqual(check(p, 1500), { run: false, reason: "typing" });
  });

  it("never right after typing elsewhere, nor before the pause is over", () => {
    const p = new WarmUpPlanner(500);
    p.typed(1000);
    p.moved(A, 1100);
    assert.deepEqual(check(p, 1400), { run: false, reason: "typing" });
    assert.deepEqual(check(p, 1650), { run: true });
  });

  it("a place a request was made for needs no warm-up", () => {
    const p = new WarmUpPlanner(500);
    p.requested(A);
    assert.equal(p.moved(A, 1000), null);
    assert.equal(p.moved(B, 1000), 500);
  });

  it("skips when the cursor moved on, a request is busy, on battery, disabled or without a model", () => {
    const cases: [Partial<WarmUpCheck>, string][] = [
      [{ place: B }, "moved"],
      [{ busy: true }, "busy"],
      [{ onBattery: true }, "onBattery"],
      [{ enabled: false }, "disabled"],
      [{ modelLoaded: false }, "noModel"],
    ];
    for (const [change, reason] of cases) {
      const p = new WarmUpPlanner(500);
      p.moved(A, 1000);
      assert.deepEqual(check(p, 2000, change), { run: false, reason }, reason);
    }
  });
});

describe("power source", () => {
  it("reads Linux power supplies: a discharging battery without mains online", () => {
    assert.equal(
      onBatteryFromSysfs([
        { type: "Battery\n", status: "Discharging\n" },
        { type: "Mains\n", online: "0\n" },
      ]),
      true,
    );
    assert.equal(
      onBatteryFromSysfs([
        { type: "Battery\n", status: "Charging\n" },
        { type: "Mains\n", online: "1\n" },
      ]),
      false,
    );
    assert.equal(onBatteryFromSysfs([]), false, "no battery: mains");
  });

  it("reads macOS pmset", () => {
    assert.equal(
      onBatteryFromPmset("Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t80%; discharging"),
      true,
    );
    assert.equal(onBatteryFromPmset("Now drawing from 'AC Power'\n"), false);
  });
});

describe("pipeline warm-up", () => {
  it("sends the same prompt with warmUp set, caches and shows nothing", async () => {
    const calls: { body: GenerateRequestInput; supersede?: boolean }[] = [];
    const result: GenerationResult = {
      text: "",
      stopReason: "warmUp",
      promptTokens: 100,
      reusedPromptTokens: 0,
      generatedTokens: 0,
      firstTokenMs: null,
      ms: 5,
    };
    const generate = async (_slot: string, body: GenerateRequestInput, options?: { supersede?: boolean }) => (
      calls.push({ body, supersede: options?.supersede }),
      result
    );
    const cache = new CompletionCache();
    const document = {
      uri: "file:///a.ts",
      path: "a.ts",
      languageId: "typescript",
      eol: "\n" as const,
      indent: { useTabs: false, size: 2 },
      prefix: "function f() {\n  ",
      suffix: "\n}\n",
    };
    const specialTokens = { fimPrefix: true, fimSuffix: true, fimMiddle: true };
    const warm = await completionPipeline({
      document,
      settings: DEFAULT_COMPLETION_SETTINGS,
      model: { specialTokens },
      generate,
      cache,
      warmUp: true,
    });
    assert.equal(warm.reason, "warmUp");
    assert.equal(warm.ghost, null);
    assert.equal(calls[0].body.warmUp, true);
    assert.notEqual(calls[0].supersede, true, "a warm-up never replaces a running request");
    assert.equal(cache.lookup(document.prefix, document.suffix).kind, "miss");
    // The real request at that place sends the same prompt.
    await completionPipeline({
      document,
      settings: DEFAULT_COMPLETION_SETTINGS,
      model: { specialTokens },
      generate,
      cache,
    });
    assert.deepEqual(
      calls[1].body.kind === "segments" && calls[1].body.segments,
      calls[0].body.kind === "segments" && calls[0].body.segments,
    );
    assert.equal(calls[1].body.warmUp, undefined);
  });
});
