import * as assert from "node:assert/strict";
import {
  WarmUpPlanner,
  onBatteryFromPmset,
  onBatteryFromSysfs,
  type WarmUpCheck,
} from "../../../src/core/completion/scheduling/warmUp";
import { afterEnter } from "../../../src/core/completion/scheduling/afterEnter";
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
    assert.deepEqual(check(p, 1500), { run: true, target: "place" });
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
    assert.deepEqual(check(p, 1650), { run: true, target: "place" });
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

describe("warm-up after Enter", () => {
  it("a request answered at the end of a line, then a pause: warm the next line's prompt, once", () => {
    const p = new WarmUpPlanner(500);
    p.requested(A);
    assert.equal(p.answered(A, 1000), 500);
    assert.deepEqual(check(p, 1400), { run: false, reason: "typing" }, "not before the pause is over");
    assert.deepEqual(check(p, 1500), { run: true, target: "afterEnter" });
    assert.equal(p.answered(A, 2000), null, "the prompt after Enter is warm already");
    // Enter: the request for the next line finds that place prompted, so no new-place warm-up either.
    p.typed(3000);
    assert.equal(p.moved({ uri: A.uri, line: A.line + 1 }, 3000), null);
  });

  it("a keystroke in the pause cancels it; a move elsewhere makes it a new place instead", () => {
    const p = new WarmUpPlanner(500);
    p.answered(A, 1000);
    p.typed(1200);
    assert.deepEqual(check(p, 1500), { run: false, reason: "typing" });
    p.answered(A, 2000);
    assert.equal(p.moved(B, 2100), 500);
    assert.deepEqual(check(p, 2700, { place: B }), { run: true, target: "place" });
  });

  it("new context (definitions landed) makes a prompted place stale: the pause warms it again, after Enter when that waits", () => {
    const p = new WarmUpPlanner(500);
    p.requested(A);
    assert.equal(p.moved(A, 1000), null, "prompted");
    assert.equal(p.contextChanged(A, 1000), 500);
    assert.deepEqual(check(p, 1500), { run: true, target: "place" });
    p.answered(A, 2000);
    p.contextChanged(A, 2100);
    assert.deepEqual(check(p, 2600), { run: true, target: "afterEnter" });
    p.typed(2700);
    assert.deepEqual(check(p, 3300), { run: false, reason: "samePlace" }, "typing ended the pending one");
  });
});

describe("a warm-up that found the model busy", () => {
  it("is kept: asked again once the request is over, it runs", () => {
    const p = new WarmUpPlanner(500);
    p.answered(A, 1000);
    assert.deepEqual(check(p, 1500, { busy: true }), { run: false, reason: "busy" });
    assert.deepEqual(check(p, 2000), { run: true, target: "afterEnter" });
  });
});

describe("the document after Enter", () => {
  const doc = (prefix: string, suffix: string, languageId = "typescript", useTabs = false) => ({
    uri: "file:///a.ts",
    path: "a.ts",
    languageId,
    eol: "\n" as const,
    indent: { useTabs, size: 2 },
    prefix,
    suffix,
  });

  it("keeps the line's indentation, one level more after a block opener", () => {
    assert.equal(afterEnter(doc("  const a = 1;", "\n}\n"))?.prefix, "  const a = 1;\n  ");
    assert.equal(afterEnter(doc("  if (a) {", "\n}\n"))?.prefix, "  if (a) {\n    ");
    assert.equal(afterEnter(doc("\tfoo(", "", "typescript", true))?.prefix, "\tfoo(\n\t\t");
    assert.equal(afterEnter(doc("def f(x):  # note", "\n", "python"))?.prefix, "def f(x):  # note\n  ");
    assert.equal(afterEnter(doc("  if (a) {", "\n}\n"))?.suffix, "\n}\n", "the rest of the document stays");
  });

  it("only at the end of a line with code on it", () => {
    assert.equal(afterEnter(doc("  foo(", "a);\n")), null, "text right of the cursor");
    assert.equal(afterEnter(doc("x;\n   ", "\n")), null, "a blank line");
    assert.ok(afterEnter(doc("x;", "   \n")), "white space right of the cursor");
  });

  it("uses the document's line ending", () => {
    const crlf = { ...doc("a;\r\nb;", "\r\n"), eol: "\r\n" as const };
    assert.equal(afterEnter(crlf)?.prefix, "a;\r\nb;\r\n");
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
