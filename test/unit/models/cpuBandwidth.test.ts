import * as assert from "node:assert/strict";
import type { Engine } from "../../../src/core/engine/engine";
import {
  CPU_BANDWIDTH_KEY,
  ModelPlanner,
  usableBandwidth,
  type CpuBandwidthStore,
} from "../../../src/vscode/models/modelPlanner";

const engine = { onDidChangeState: () => ({ dispose() {} }), modelInfo: () => null } as unknown as Engine;
const log = { info() {}, warn() {}, error() {} };

function memoryStore(initial: Record<string, unknown> = {}): CpuBandwidthStore & { values: Record<string, unknown> } {
  const values = { ...initial };
  return { values, get: (k) => values[k], update: async (k, v) => void (values[k] = v) };
}

describe("CPU bandwidth for auto's speed floor", () => {
  it("is measured once and kept in the store; a stored value is used without measuring again", () => {
    const store = memoryStore();
    const planner = new ModelPlanner(engine, "/tmp/models", log, store);
    const first = planner.cpuBandwidth();
    assert.ok(first && first.bytesPerSecond > 1e8, "a plausible copy rate");
    assert.deepEqual(store.values[CPU_BANDWIDTH_KEY], first);
    assert.equal(planner.cpuBandwidth(), first);
    const stored = { bytesPerSecond: 42e9, measuredAt: "2026-01-01T00:00:00.000Z" };
    assert.deepEqual(
      new ModelPlanner(engine, "/tmp/models", log, memoryStore({ [CPU_BANDWIDTH_KEY]: stored })).cpuBandwidth(),
      stored,
    );
    // A malformed stored value is measured again, not trusted.
    assert.notEqual(
      new ModelPlanner(
        engine,
        "/tmp/models",
        log,
        memoryStore({ [CPU_BANDWIDTH_KEY]: { bytesPerSecond: -1 } }),
      ).cpuBandwidth()?.bytesPerSecond,
      -1,
    );
  });

  it("without a store (no extension context) nothing is measured and auto assumes its default", () => {
    assert.equal(new ModelPlanner(engine, "/tmp/models", log).cpuBandwidth(), null);
  });

  it("may only raise auto's default: a slow or loaded machine's one-thread probe does not shrink the picks", () => {
    assert.equal(usableBandwidth(null), null);
    assert.equal(usableBandwidth({ bytesPerSecond: 8.5e9 }), null);
    assert.equal(usableBandwidth({ bytesPerSecond: 20e9 }), null);
    assert.equal(usableBandwidth({ bytesPerSecond: 31e9 }), 31e9);
  });
});
