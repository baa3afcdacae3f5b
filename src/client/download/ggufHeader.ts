/**
 * Reads a GGUF header (v2/v3) far enough to know where the tensor data ends, so a downloaded
 * file that is not GGUF, or is cut short, is refused before anything loads it.
 */
import * as fs from "node:fs/promises";
import { tensorByteSize } from "../../core/gguf/tensorSize";

export const GGUF_MAGIC = "GGUF";

export type GgufHeaderCheck =
  | { ok: true; version: number; tensorCount: number; kvCount: number; minimumFileSize: number }
  | { ok: false; reason: string };

class NeedMoreBytes extends Error {}

/** Little-endian cursor over a buffer; throws NeedMoreBytes when the header runs past it. */
class Cursor {
  offset = 0;
  constructor(private readonly buf: Buffer) {}
  private take(n: number): number {
    if (this.offset + n > this.buf.length) throw new NeedMoreBytes();
    const at = this.offset;
    this.offset += n;
    return at;
  }
  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }
  u64(): number {
    const v = this.buf.readBigUInt64LE(this.take(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("a 64-bit field is out of range");
    return Number(v);
  }
  skip(n: number): void {
    this.take(n);
  }
  string(): string {
    const len = this.u64();
    if (len > 1 << 24) throw new Error(`a string of ${len} bytes`);
    const at = this.take(len);
    return this.buf.toString("utf8", at, at + len);
  }
}

// GGUF value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string, 9 array, 10 u64, 11 i64, 12 f64.
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

function readValue(c: Cursor, type: number): number | null {
  if (type === 8) {
    c.string();
    return null;
  }
  if (type === 9) {
    const elementType = c.u32();
    const count = c.u64();
    const size = FIXED_SIZE[elementType];
    if (size !== undefined) c.skip(size * count);
    else for (let i = 0; i < count; i++) readValue(c, elementType);
    return null;
  }
  if (type === 4) return c.u32();
  const size = FIXED_SIZE[type];
  if (size === undefined) throw new Error(`unknown metadata value type ${type}`);
  c.skip(size);
  return null;
}

/** Parses the header in `buf`; "more" when the buffer ends inside the header. */
function parse(buf: Buffer): GgufHeaderCheck | "more" {
  if (buf.length < 4 || buf.toString("latin1", 0, 4) !== GGUF_MAGIC) {
    return { ok: false, reason: `not a GGUF file (starts with ${JSON.stringify(buf.subarray(0, 4).toString("latin1"))}, expected "GGUF")` };
  }
  const c = new Cursor(buf);
  try {
    c.skip(4);
    const version = c.u32();
    if (version !== 2 && version !== 3) return { ok: false, reason: `unsupported GGUF version ${version}` };
    const tensorCount = c.u64();
    const kvCount = c.u64();
    if (tensorCount > 1_000_000 || kvCount > 1_000_000) return { ok: false, reason: `implausible header (${tensorCount} tensors, ${kvCount} keys)` };
    let alignment = 32;
    for (let i = 0; i < kvCount; i++) {
      const key = c.string();
      const value = readValue(c, c.u32());
      if (key === "general.alignment" && value !== null && value > 0) alignment = value;
    }
    let dataEnd = 0;
    for (let i = 0; i < tensorCount; i++) {
      c.string();
      const nDims = c.u32();
      if (nDims > 8) return { ok: false, reason: `tensor ${i} has ${nDims} dimensions` };
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(c.u64());
      const type = c.u32();
      const offset = c.u64();
      dataEnd = Math.max(dataEnd, offset + (tensorByteSize(type, dims) ?? 0));
    }
    const dataStart = Math.ceil(c.offset / alignment) * alignment;
    return { ok: true, version, tensorCount, kvCount, minimumFileSize: tensorCount === 0 ? c.offset : dataStart + dataEnd };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return "more";
    return { ok: false, reason: `unreadable GGUF header (${(error as Error).message})` };
  }
}

/** Checks a header held in memory (the whole header must be there). */
export function checkGgufHeader(buf: Buffer): GgufHeaderCheck {
  const result = parse(buf);
  return result === "more" ? { ok: false, reason: "the file ends inside its GGUF header (truncated)" } : result;
}

/** Reads as much of the file as the header needs (vocabularies make it several MiB) and checks it. */
export async function checkGgufFile(filePath: string): Promise<GgufHeaderCheck> {
  const handle = await fs.open(filePath, "r");
  try {
    const { size } = await handle.stat();
    for (let want = Math.min(size, 1 << 20); ; want = Math.min(size, want * 4)) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buf, 0, want, 0);
      const result = parse(buf.subarray(0, bytesRead));
      if (result !== "more") {
        if (result.ok && result.minimumFileSize > size) {
          return { ok: false, reason: `truncated: ${size} bytes, but the header describes ${result.minimumFileSize}` };
        }
        return result;
      }
      if (want >= size || want >= 512 << 20) return { ok: false, reason: "the file ends inside its GGUF header (truncated)" };
    }
  } finally {
    await handle.close();
  }
}
