import * as assert from "node:assert/strict";
import { Emitter, EventMap } from "../../../src/core/util/emitter";

describe("Emitter", () => {
  it("delivers to each listener until its subscription is disposed", () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    const subscription = emitter.on((n) => seen.push(n));
    emitter.fire(1);
    subscription.dispose();
    emitter.fire(2);
    assert.deepEqual(seen, [1]);
  });

  it("lets a listener unsubscribe another during delivery without skipping the rest of this event", () => {
    const emitter = new Emitter<string>();
    const seen: string[] = [];
    const second = { dispose: () => undefined as unknown };
    emitter.on(() => second.dispose());
    Object.assign(
      second,
      emitter.on((v) => seen.push(`second ${v}`)),
    );
    emitter.fire("a");
    emitter.fire("b");
    assert.deepEqual(seen, ["second a"]);
  });

  it("with an error handler, reports a throwing listener and still calls the others", () => {
    const errors: string[] = [];
    const emitter = new Emitter<string>((error) => errors.push(String(error)));
    const seen: string[] = [];
    emitter.on(() => {
      throw new Error("boom");
    });
    emitter.on((v) => seen.push(v));
    emitter.fire("x");
    assert.deepEqual(errors, ["Error: boom"]);
    assert.deepEqual(seen, ["x"]);
  });

  it("without an error handler, a throwing listener throws from fire", () => {
    const emitter = new Emitter<void>();
    emitter.on(() => {
      throw new Error("boom");
    });
    assert.throws(() => emitter.fire(), /boom/);
  });

  it("dispose drops every listener", () => {
    const emitter = new Emitter<number>();
    let calls = 0;
    emitter.on(() => calls++);
    emitter.dispose();
    emitter.fire(1);
    assert.equal(calls, 0);
  });
});

describe("EventMap", () => {
  it("keeps each named event apart, fires with or without a value, and drops every listener on dispose", () => {
    const events = new EventMap<{ saved: string; changed: void }>();
    const seen: string[] = [];
    events.on("saved")((v) => seen.push(`saved ${v}`));
    events.on("changed")(() => seen.push("changed"));
    events.fire("saved", "a");
    events.fire("changed");
    events.dispose();
    events.fire("saved", "b");
    assert.deepEqual(seen, ["saved a", "changed"]);
  });
});
