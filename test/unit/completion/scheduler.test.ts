import * as assert from "node:assert/strict";
import { AdaptiveDebounce } from "../../../src/core/completion/scheduling/adaptiveDebounce";
import { CompletionScheduler, type ScheduleOutcome } from "../../../src/core/completion/scheduling/scheduler";
import { FakeClock, flushMicrotasks } from "./helpers/fakeClock";

/** A task whose completion the test controls; records start/abort order. */
class Tasks {
  readonly log: string[] = [];
  private running = 0;
  maxConcurrent = 0;
  private readonly resolvers = new Map<string, (v: string) => void>();

  make(name: string, opts: { settleOnAbort?: boolean } = {}) {
    return (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        this.log.push(`start ${name}`);
        this.running++;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
        const done = (fn: () => void) => {
          this.running--;
          fn();
        };
        this.resolvers.set(name, (v) => done(() => resolve(v)));
        signal.addEventListener("abort", () => {
          this.log.push(`abort ${name}`);
          if (opts.settleOnAbort !== false) done(() => reject(new Error("aborted")));
        });
      });
  }

  finish(name: string, value = name): void {
    this.resolvers.get(name)!(value);
  }
}

function fixedDebounce(ms: number) {
  return { recordKeystroke: () => {}, delayMs: () => ms };
}

describe("completion scheduler", () => {
  it("waits out the debounce before starting", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(150));
    const outcome = scheduler.schedule(tasks.make("a"));
    await clock.advance(149);
    assert.deepEqual(tasks.log, []);
    await clock.advance(1);
    assert.deepEqual(tasks.log, ["start a"]);
    tasks.finish("a", "ghost");
    assert.deepEqual(await outcome, { kind: "done", value: "ghost" });
  });

  it("a keystroke during the debounce supersedes the waiting request; only the last runs", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(100));
    const a = scheduler.schedule(tasks.make("a"));
    await clock.advance(60);
    const b = scheduler.schedule(tasks.make("b"));
    assert.deepEqual(await a, { kind: "superseded" });
    await clock.advance(60);
    assert.deepEqual(tasks.log, [], "b's debounce restarted at its own keystroke");
    await clock.advance(40);
    assert.deepEqual(tasks.log, ["start b"]);
    tasks.finish("b");
    assert.deepEqual(await b, { kind: "done", value: "b" });
  });

  it("a new request aborts the running one and starts only after it settled (one in flight)", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(50));
    const a = scheduler.schedule(tasks.make("a", { settleOnAbort: false }));
    await clock.advance(50);
    const b = scheduler.schedule(tasks.make("b"));
    assert.deepEqual(await a, { kind: "superseded" });
    assert.deepEqual(tasks.log, ["start a", "abort a"]);
    await clock.advance(500);
    assert.deepEqual(tasks.log, ["start a", "abort a"], "b waits for a to wind down");
    assert.equal(scheduler.busy, true);
    tasks.finish("a");
    await flushMicrotasks();
    assert.deepEqual(tasks.log, ["start a", "abort a", "start b"]);
    assert.equal(tasks.maxConcurrent, 1);
    tasks.finish("b");
    assert.deepEqual(await b, { kind: "done", value: "b" });
    await flushMicrotasks();
    assert.equal(scheduler.busy, false);
  });

  it("a manual request skips the debounce", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(1000));
    const m = scheduler.schedule(tasks.make("m"), { manual: true });
    await flushMicrotasks();
    assert.deepEqual(tasks.log, ["start m"]);
    tasks.finish("m");
    assert.equal((await m).kind, "done");
  });

  it("the caller's signal cancels a waiting request and aborts a running one", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(100));
    const waiting = new AbortController();
    const w = scheduler.schedule(tasks.make("w"), { signal: waiting.signal });
    waiting.abort();
    assert.deepEqual(await w, { kind: "cancelled" });
    await clock.advance(200);
    assert.deepEqual(tasks.log, []);
    assert.equal(clock.pendingTimers, 0);

    const running = new AbortController();
    const r = scheduler.schedule(tasks.make("r"), { signal: running.signal });
    await clock.advance(100);
    running.abort();
    assert.deepEqual(await r, { kind: "cancelled" });
    assert.deepEqual(tasks.log, ["start r", "abort r"]);
  });

  it("an already-aborted signal never starts anything", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(0));
    const outcome = await scheduler.schedule(tasks.make("x"), { signal: AbortSignal.abort() });
    assert.deepEqual(outcome, { kind: "cancelled" });
    assert.deepEqual(tasks.log, []);
  });

  it("reports a failing task as failed", async () => {
    const clock = new FakeClock();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(0));
    const outcome = (await scheduler.schedule(() => Promise.reject(new Error("boom")))) as ScheduleOutcome<never>;
    assert.equal(outcome.kind, "failed");
    assert.match(String((outcome as { error: Error }).error), /boom/);
    const thrown = await scheduler.schedule(() => {
      throw new Error("sync");
    });
    assert.equal(thrown.kind, "failed");
  });

  it("uses the debounce policy and feeds it automatic keystrokes only", async () => {
    const clock = new FakeClock();
    const recorded: number[] = [];
    const scheduler = new CompletionScheduler(clock, { recordKeystroke: (t) => recorded.push(t), delayMs: () => 30 });
    const tasks = new Tasks();
    void scheduler.schedule(tasks.make("a"));
    await clock.advance(10);
    void scheduler.schedule(tasks.make("m"), { manual: true });
    await clock.advance(10);
    void scheduler.schedule(tasks.make("b"));
    assert.deepEqual(recorded, [0, 20]);
    await clock.advance(29);
    assert.deepEqual(tasks.log, ["start m", "abort m"]);
    await clock.advance(1);
    assert.deepEqual(tasks.log, ["start m", "abort m", "start b"]);
  });

  it("dispose supersedes everything and refuses new work", async () => {
    const clock = new FakeClock();
    const tasks = new Tasks();
    const scheduler = new CompletionScheduler(clock, fixedDebounce(10));
    const a = scheduler.schedule(tasks.make("a"));
    scheduler.dispose();
    assert.deepEqual(await a, { kind: "superseded" });
    assert.deepEqual(await scheduler.schedule(tasks.make("b")), { kind: "cancelled" });
  });
});

describe("adaptive debounce", () => {
  it("uses the base delay until it has seen typing, or when adaptation is off", () => {
    const d = new AdaptiveDebounce({ baseMs: 150, adaptive: true });
    assert.equal(d.delayMs(), 150);
    const off = new AdaptiveDebounce({ baseMs: 150, adaptive: false });
    off.recordKeystroke(0);
    off.recordKeystroke(40);
    assert.equal(off.delayMs(), 150);
  });

  it("fast typing shortens the wait, slow typing lengthens it, within [base/2, 3*base]", () => {
    const fast = new AdaptiveDebounce({ baseMs: 150, adaptive: true });
    for (let t = 0; t <= 600; t += 60) fast.recordKeystroke(t);
    assert.equal(fast.delayMs(), 90);
    const slow = new AdaptiveDebounce({ baseMs: 150, adaptive: true });
    for (let t = 0; t <= 3000; t += 250) slow.recordKeystroke(t);
    assert.equal(slow.delayMs(), 375);
    const veryFast = new AdaptiveDebounce({ baseMs: 150, adaptive: true });
    for (let t = 0; t <= 100; t += 10) veryFast.recordKeystroke(t);
    assert.equal(veryFast.delayMs(), 75);
    const hunting = new AdaptiveDebounce({ baseMs: 150, adaptive: true });
    for (let t = 0; t <= 9000; t += 900) hunting.recordKeystroke(t);
    assert.equal(hunting.delayMs(), 450);
  });

  it("ignores pauses between bursts", () => {
    const d = new AdaptiveDebounce({ baseMs: 150, adaptive: true, burstGapMs: 1000 });
    for (let t = 0; t <= 600; t += 60) d.recordKeystroke(t);
    d.recordKeystroke(10_000);
    assert.equal(d.delayMs(), 90);
  });
});
