import * as assert from "node:assert/strict";
import { physicalCoresFromCpuinfo, resolveThreadCount } from "../../../src/core/hardware/cpuCores";
import { RestartPolicy } from "../../../src/core/engine/restartPolicy";
import { minimumFileSize, tensorByteSize } from "../../../src/core/gguf/tensorSize";
import { intOption, parseArgs, UsageError } from "../../../src/cli/args";

describe("physical cores", () => {
  const cpu = (entries: [string, string][]) =>
    entries.map(([phys, core]) => `processor\t: x\nphysical id\t: ${phys}\ncore id\t\t: ${core}\n`).join("\n");

  it("counts hyper-threads of one core once", () => {
    assert.equal(
      physicalCoresFromCpuinfo(
        cpu([
          ["0", "0"],
          ["0", "0"],
          ["0", "1"],
          ["0", "1"],
        ]),
      ),
      2,
    );
  });
  it("counts the same core id on two sockets twice", () => {
    assert.equal(
      physicalCoresFromCpuinfo(
        cpu([
          ["0", "0"],
          ["1", "0"],
        ]),
      ),
      2,
    );
  });
  it("returns null without topology", () => {
    assert.equal(physicalCoresFromCpuinfo("processor\t: 0\nmodel name\t: x\n"), null);
  });
  it("uses the setting when positive, else physical cores, else logical", () => {
    assert.equal(resolveThreadCount(3, 8, 16), 3);
    assert.equal(resolveThreadCount(0, 8, 16), 8);
    assert.equal(resolveThreadCount(0, null, 4), 4);
  });
});

describe("restart policy", () => {
  it("backs off exponentially and gives up after the cap", () => {
    const policy = new RestartPolicy({
      baseDelayMs: 100,
      maxDelayMs: 1000,
      stableAfterMs: 60_000,
      maxConsecutiveCrashes: 5,
    });
    const delays = [1, 2, 3, 4, 5, 6].map(() => policy.onCrash(10));
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, null]);
  });
  it("starts over after a stable run and after a manual reset", () => {
    const policy = new RestartPolicy({
      baseDelayMs: 100,
      maxDelayMs: 1000,
      stableAfterMs: 5000,
      maxConsecutiveCrashes: 3,
    });
    policy.onCrash(10);
    policy.onCrash(10);
    assert.equal(policy.onCrash(6000), 100);
    policy.onCrash(10);
    policy.reset();
    assert.equal(policy.onCrash(10), 100);
  });
});

describe("GGUF tensor sizes", () => {
  it("knows block sizes of common types", () => {
    assert.equal(tensorByteSize(0, [4, 2]), 32); // F32
    assert.equal(tensorByteSize(8, [64, 2]), 136); // Q8_0: 4 blocks of 34
    assert.equal(tensorByteSize(2, [32]), 18); // Q4_0
    assert.equal(tensorByteSize(12, [256, 3]), 432); // Q4_K
    assert.equal(tensorByteSize(999, [1]), null);
  });
  it("a complete file ends at its furthest tensor", () => {
    assert.equal(
      minimumFileSize([
        { fileOffset: 100, ggmlType: 0, dimensions: [8] },
        { fileOffset: 50, ggmlType: 1, dimensions: [10] },
      ]),
      132,
    );
    assert.equal(minimumFileSize([]), null);
  });
});

describe("CLI arguments", () => {
  const flags = new Set(["json"]);
  const options = new Set(["model", "max-tokens"]);
  it("parses values, = syntax and flags", () => {
    const args = parseArgs(["infill", "--model", "/m.gguf", "--max-tokens=5", "--json"], flags, options);
    assert.equal(args.command, "infill");
    assert.equal(args.options.get("model"), "/m.gguf");
    assert.equal(intOption(args, "max-tokens", 64, 1), 5);
    assert.ok(args.flags.has("json"));
  });
  it("rejects unknown, repeated, missing and malformed values", () => {
    assert.throws(() => parseArgs(["x", "--modle", "a"], flags, options), /Unknown option --modle/);
    assert.throws(() => parseArgs(["x", "--model", "a", "--model", "b"], flags, options), /twice/);
    assert.throws(() => parseArgs(["x", "--model"], flags, options), /needs a value/);
    assert.throws(
      () => intOption(parseArgs(["x", "--max-tokens", "ten"], flags, options), "max-tokens", 1),
      UsageError,
    );
    assert.throws(
      () => intOption(parseArgs(["x", "--max-tokens", "0"], flags, options), "max-tokens", 1, 1),
      /at least 1/,
    );
  });
});
