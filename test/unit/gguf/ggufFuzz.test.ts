import * as assert from "node:assert/strict";
import { GgufFileError, readGgufHeaderFrom, type ByteSource } from "../../../src/core/gguf/ggufFileReader";
import { encodeHeader, GgmlType, GgufValueType, kv, xorshift32 } from "../../fixtures/gguf/ggufWriter";
import { HOSTILE_HEADERS } from "../../support/hostileGguf";

/**
 * Fuzz of the one GGUF header reader (issue #16): seeded random and mutated headers. Each case
 * either parses or is refused with a GgufFileError that has a code and names the file; no case
 * reads more than the cap. Time is bounded by the mocha timeout, not a timed assertion.
 */
const CAP = 256 << 10;
const CODES = new Set(["notGguf", "unsupportedVersion", "corrupt", "truncated", "headerTooLarge"]);

function seedHeader(): Buffer {
  return encodeHeader({
    metadata: [
      kv.str("general.architecture", "qwen2"),
      kv.u32("qwen2.block_count", 2),
      kv.arr("tokenizer.ggml.tokens", GgufValueType.STRING, ["a", "bb", "ccc", "<|endoftext|>"]),
      kv.arr("tokenizer.ggml.scores", GgufValueType.FLOAT32, [0, 1, 2, 3]),
      kv.arr("qwen2.per_layer", GgufValueType.INT32, [1, 2]),
      kv.u64("test.big", 2n ** 60n),
    ],
    tensors: [
      { name: "token_embd.weight", dims: [8, 4], type: GgmlType.F32, data: new Uint8Array(0) },
      { name: "blk.0.attn_q.weight", dims: [32, 8], type: GgmlType.Q8_0, data: new Uint8Array(0) },
    ],
  });
}

/** A mutation of `base`: random bytes overwritten, a length field set huge, or a cut. */
function mutate(base: Buffer, next: () => number): Buffer {
  const out = Buffer.from(base);
  const pick = next() % 4;
  const at = next() % out.length;
  if (pick === 0) for (let i = 0, n = 1 + (next() % 8); i < n; i++) out[next() % out.length] = next() & 0xff;
  else if (pick === 1 && at + 8 <= out.length)
    out.writeBigUInt64LE(BigInt.asUintN(64, BigInt(next()) << BigInt(next() % 40)), at);
  else if (pick === 2 && at + 4 <= out.length) out.writeUInt32LE(next() % 16, at);
  else return out.subarray(0, at);
  return out;
}

function countingSource(bytes: Buffer, claimedSize: number): { source: ByteSource; read: () => number } {
  let read = 0;
  return {
    source: {
      size: claimedSize,
      read: async (position, length) => {
        const chunk = bytes.subarray(position, position + length);
        read += chunk.length;
        return chunk;
      },
    },
    read: () => read,
  };
}

describe("GGUF header reader fuzz (seeded)", function () {
  this.timeout(20_000);

  it("random and mutated headers: parsed, or a coded error naming the file; never more than the cap read", async () => {
    const next = xorshift32(0x16_16_16);
    const base = seedHeader();
    const heapBefore = process.memoryUsage().heapUsed;
    const tally: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      let bytes: Buffer;
      if (i % 5 === 0) bytes = Buffer.from(Array.from({ length: next() % 200 }, () => next() & 0xff));
      else if (i % 5 === 1)
        bytes = Buffer.concat([
          Buffer.from("GGUF"),
          Buffer.from(Array.from({ length: next() % 200 }, () => next() & 0xff)),
        ]);
      else if (i % 5 === 2) bytes = mutate(Object.values(HOSTILE_HEADERS)[next() % 5], next);
      else bytes = mutate(mutate(base, next), next);
      // Sometimes the file claims to be far longer than the bytes (a sparse or huge file).
      const claimed = next() % 3 === 0 ? bytes.length + (next() % (1 << 30)) : bytes.length;
      const { source, read } = countingSource(bytes, claimed);
      const file = `/fuzz/case-${i}.gguf`;
      try {
        await readGgufHeaderFrom(source, file, { maxHeaderBytes: CAP });
        tally.parsed = (tally.parsed ?? 0) + 1;
      } catch (error) {
        assert.ok(error instanceof GgufFileError, `case ${i}: ${String(error)}`);
        assert.ok(CODES.has(error.code), `case ${i}: code ${error.code}`);
        assert.ok(error.message.includes(file), `case ${i}: ${error.message}`);
        tally[error.code] = (tally[error.code] ?? 0) + 1;
      }
      assert.ok(read() <= CAP, `case ${i} read ${read()} bytes`);
    }
    // The corpus reaches every kind of outcome, so the fuzz is not testing one path only.
    for (const outcome of ["parsed", "notGguf", "corrupt", "truncated", "headerTooLarge"])
      assert.ok(tally[outcome] > 0, `no ${outcome}: ${JSON.stringify(tally)}`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 256 << 20, "heap grew by more than 256 MiB");
  });
});
