/**
 * Reads the architecture numbers of a .gguf file's header (no tensor data), so a model on disk
 * can be sized and placed without loading it and without node-llama-cpp: the CLI's `select`
 * answers from flags alone, and the extension plans a path setting next to a catalog one.
 * The result is shaped like node-llama-cpp's `architectureMetadata`, so the same
 * ggufArchFieldsFromMetadata turns either into GgufArchFields.
 */
import * as fs from "node:fs/promises";
import { ladderFromGgufFile } from "../core/models/catalog";
import { ggufArchFieldsFromMetadata, type GgufArchFields } from "../core/models/fitEstimate";
import type { ModelLadder } from "../core/models/selectModel";

export interface GgufSummary {
  path: string;
  sizeBytes: number;
  version: number;
  architecture: string;
  name: string | null;
  /** llama_ftype name from general.file_type ("Q8_0", "Q4_K_M"), null when absent or unknown. */
  fileType: string | null;
  /** `<arch>.*` keys as a nested object (`attention.head_count`), like node-llama-cpp's architectureMetadata. */
  architectureMetadata: Record<string, unknown>;
  /** Length of tokenizer.ggml.tokens (stands in for a missing vocab_size). */
  tokenCount: number | null;
  fields: GgufArchFields;
}

/** llama.cpp's llama_ftype values (llama.h), for naming a local file's quant. */
const FILE_TYPES: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M",
  13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS",
  21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
  29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
};

class NeedMoreBytes extends Error {}

type Value = number | bigint | boolean | string | Value[] | { arrayOf: number; count: number };

/** Little-endian cursor; throws NeedMoreBytes when the header runs past the buffer. */
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
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("a 64-bit length is out of range");
    return Number(v);
  }
  string(): string {
    const len = this.u64();
    if (len > 1 << 26) throw new Error(`a string of ${len} bytes`);
    const at = this.take(len);
    return this.buf.toString("utf8", at, at + len);
  }
  skip(n: number): void {
    this.take(n);
  }
  scalar(type: number): number | bigint | boolean | string {
    switch (type) {
      case 0: return this.buf.readUInt8(this.take(1));
      case 1: return this.buf.readInt8(this.take(1));
      case 2: return this.buf.readUInt16LE(this.take(2));
      case 3: return this.buf.readInt16LE(this.take(2));
      case 4: return this.buf.readUInt32LE(this.take(4));
      case 5: return this.buf.readInt32LE(this.take(4));
      case 6: return this.buf.readFloatLE(this.take(4));
      case 7: return this.buf.readUInt8(this.take(1)) !== 0;
      case 8: return this.string();
      case 10: return this.buf.readBigUInt64LE(this.take(8));
      case 11: return this.buf.readBigInt64LE(this.take(8));
      case 12: return this.buf.readDoubleLE(this.take(8));
    }
    throw new Error(`unknown metadata value type ${type}`);
  }
}

const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Arrays longer than this (vocabularies, merges) are skipped and only counted. */
const MAX_KEPT_ARRAY = 1 << 16;

/** Reads one value; arrays are kept only when `keep` and short (others are skipped and only counted). */
function readValue(c: Cursor, type: number, keep: boolean): Value {
  if (type !== 9) return c.scalar(type);
  const itemType = c.u32();
  const count = c.u64();
  if (!keep || count > MAX_KEPT_ARRAY) {
    const size = FIXED_SIZE[itemType];
    if (size !== undefined) c.skip(size * count);
    else for (let i = 0; i < count; i++) readValue(c, itemType, false);
    return { arrayOf: itemType, count };
  }
  const items: Value[] = [];
  for (let i = 0; i < count; i++) items.push(readValue(c, itemType, true));
  return items;
}

function plain(value: Value): unknown {
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function setNested(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

interface RawHeader {
  version: number;
  kv: Map<string, Value>;
}

function parse(buf: Buffer): RawHeader | "more" {
  if (buf.length >= 4 && buf.toString("latin1", 0, 4) !== "GGUF") throw new Error(`not a GGUF file (it starts with ${JSON.stringify(buf.toString("latin1", 0, 4))})`);
  const c = new Cursor(buf);
  try {
    c.skip(4);
    const version = c.u32();
    if (version !== 2 && version !== 3) throw new Error(`unsupported GGUF version ${version}`);
    c.u64(); // tensor count
    const kvCount = c.u64();
    if (kvCount > 1_000_000) throw new Error(`implausible header (${kvCount} keys)`);
    const kv = new Map<string, Value>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string();
      const type = c.u32();
      // Tokenizer arrays are large and only their length is needed; per-layer arrays are small.
      kv.set(key, readValue(c, type, !key.startsWith("tokenizer.")));
    }
    return { version, kv };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return "more";
    throw error;
  }
}

async function readRawHeader(filePath: string): Promise<{ header: RawHeader; sizeBytes: number }> {
  const handle = await fs.open(filePath, "r");
  try {
    const { size } = await handle.stat();
    for (let want = Math.min(size, 1 << 20); ; want = Math.min(size, want * 4)) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buf, 0, want, 0);
      const result = parse(buf.subarray(0, bytesRead));
      if (result !== "more") return { header: result, sizeBytes: size };
      if (want >= size || want >= 512 << 20) throw new Error("the file ends inside its GGUF header (truncated)");
    }
  } finally {
    await handle.close();
  }
}

/** Reads a .gguf header's architecture numbers. Errors name the file and what is wrong with it. */
export async function readGgufSummary(filePath: string): Promise<GgufSummary> {
  let raw;
  try {
    raw = await readRawHeader(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`Model file not found: ${filePath}`);
    if (code === "EACCES" || code === "EPERM") throw new Error(`Model file is not readable (permission denied): ${filePath}`);
    if (code === "EISDIR") throw new Error(`Model path is a directory, not a GGUF file: ${filePath}`);
    throw new Error(`Cannot read the GGUF header of ${filePath}: ${(error as Error).message}`);
  }
  const { header, sizeBytes } = raw;
  const architecture = header.kv.get("general.architecture");
  if (typeof architecture !== "string") throw new Error(`${filePath} has no general.architecture in its GGUF header`);
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of header.kv) if (key.startsWith(`${architecture}.`)) setNested(metadata, key.slice(architecture.length + 1), plain(value));
  const tokens = header.kv.get("tokenizer.ggml.tokens");
  const tokenCount = tokens && typeof tokens === "object" && "count" in tokens ? tokens.count : Array.isArray(tokens) ? tokens.length : null;
  const name = header.kv.get("general.name");
  const fileTypeValue = header.kv.get("general.file_type");
  const fileType = typeof fileTypeValue === "number" ? (FILE_TYPES[fileTypeValue] ?? null) : null;
  let fields: GgufArchFields;
  try {
    fields = ggufArchFieldsFromMetadata(architecture, metadata, tokenCount ?? undefined);
  } catch (error) {
    throw new Error(`${filePath}: ${(error as Error).message}`);
  }
  return { path: filePath, sizeBytes, version: header.version, architecture, name: typeof name === "string" ? name : null, fileType, architectureMetadata: metadata, tokenCount, fields };
}

/** The one-quant ladder of a file on disk (its quant is the header's file type, else "custom"). */
export async function ladderForGgufFile(filePath: string): Promise<{ ladder: ModelLadder; summary: GgufSummary }> {
  const summary = await readGgufSummary(filePath);
  return { ladder: ladderFromGgufFile(filePath, summary.fields, summary.sizeBytes, summary.fileType ?? "custom"), summary };
}
