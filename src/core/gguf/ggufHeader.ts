/**
 * The one GGUF header parser (v2/v3), pure: metadata keys, tensor infos and where the tensor data
 * ends, from the bytes at the start of a file. The downloader uses it to refuse a file that is not
 * GGUF or is cut short before anything loads it; model choice reads a local file's architecture
 * from it (ggufSummary.ts). src/client/ggufFile.ts reads the bytes from disk.
 */
import { tensorByteSize } from "./tensorSize";

export const GGUF_MAGIC = "GGUF";

/**
 * A metadata value. Arrays are kept when short and not under "tokenizer." (per-layer values);
 * vocabularies and merges are only counted.
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[] | { arrayOf: number; count: number };

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  ggmlType: number;
  /** Offset from the start of the data section. */
  offset: number;
  /** Null for a type tensorSize.ts does not know. */
  byteSize: number | null;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Where the data section starts in the file. */
  dataOffset: number;
  /** The end of the furthest tensor: a complete file is at least this long. */
  minimumFileSize: number;
}

/** Why a header is refused: the bytes are not GGUF, a version we do not read, or not a readable header. */
export type GgufFormatCode = "notGguf" | "unsupportedVersion" | "corrupt";

/** The bytes are not a readable GGUF header (the message says why). */
export class GgufFormatError extends Error {
  constructor(
    message: string,
    readonly code: GgufFormatCode = "corrupt",
  ) {
    super(message);
    this.name = "GgufFormatError";
  }
}

/** The header runs past the buffer; `needed` is a lower bound of the bytes it takes. */
class NeedMoreBytes extends Error {
  constructor(readonly needed: number) {
    super("need more bytes");
  }
}

/** Arrays longer than this (vocabularies, merges) are skipped and only counted. */
const MAX_KEPT_ARRAY = 1 << 16;
interface ScalarType {
  size: number;
  read: (view: DataView, at: number) => number | bigint | boolean;
}

/**
 * The fixed-size GGUF value types (little-endian): how many bytes one takes and how to read it.
 * The others: 8 string, 9 array.
 */
const SCALAR_TYPES: Record<number, ScalarType> = {
  0: { size: 1, read: (view, at) => view.getUint8(at) },
  1: { size: 1, read: (view, at) => view.getInt8(at) },
  2: { size: 2, read: (view, at) => view.getUint16(at, true) },
  3: { size: 2, read: (view, at) => view.getInt16(at, true) },
  4: { size: 4, read: (view, at) => view.getUint32(at, true) },
  5: { size: 4, read: (view, at) => view.getInt32(at, true) },
  6: { size: 4, read: (view, at) => view.getFloat32(at, true) },
  7: { size: 1, read: (view, at) => view.getUint8(at) !== 0 },
  10: { size: 8, read: (view, at) => view.getBigUint64(at, true) },
  11: { size: 8, read: (view, at) => view.getBigInt64(at, true) },
  12: { size: 8, read: (view, at) => view.getFloat64(at, true) },
};

/** Little-endian cursor; throws NeedMoreBytes when the header runs past the buffer. */
class Cursor {
  offset = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private take(n: number): number {
    this.need(n);
    const at = this.offset;
    this.offset += n;
    return at;
  }
  /** Throws NeedMoreBytes unless `n` more bytes are in the buffer (before any work on them). */
  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new NeedMoreBytes(this.offset + n);
  }
  skip(n: number): void {
    this.take(n);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  /** A 64-bit count or offset: must fit in a JS number. */
  u64(): number {
    const v = this.view.getBigUint64(this.take(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufFormatError("a 64-bit length is out of range");
    return Number(v);
  }
  string(): string {
    const len = this.u64();
    if (len > 1 << 26) throw new GgufFormatError(`a string of ${len} bytes`);
    const at = this.take(len);
    return new TextDecoder().decode(this.buf.subarray(at, at + len));
  }
  scalar(type: number): number | bigint | boolean | string {
    if (type === 8) return this.string();
    const scalar = SCALAR_TYPES[type];
    if (scalar) return scalar.read(this.view, this.take(scalar.size));
    throw new GgufFormatError(`unknown metadata value type ${type}`);
  }
}

/** The fewest bytes one value of a type takes (a string or an array: its length field). */
function minimumValueBytes(type: number): number {
  return SCALAR_TYPES[type]?.size ?? 8;
}

function readValue(c: Cursor, type: number, keep: boolean): GgufValue {
  if (type !== 9) return c.scalar(type);
  const itemType = c.u32();
  // llama.cpp reads no arrays of arrays either; refusing them also bounds the recursion.
  if (itemType === 9) throw new GgufFormatError("an array of arrays (not supported by llama.cpp)");
  if (SCALAR_TYPES[itemType] === undefined && itemType !== 8)
    throw new GgufFormatError(`unknown metadata value type ${itemType}`);
  const count = c.u64();
  // A hostile count (2^40 strings) must not start a loop: the items cannot be shorter than this,
  // so the bytes they need are known before reading any (and checked against the size cap).
  c.need(count * minimumValueBytes(itemType));
  if (!keep || count > MAX_KEPT_ARRAY) {
    const size = SCALAR_TYPES[itemType]?.size;
    if (size !== undefined) c.skip(size * count);
    else for (let i = 0; i < count; i++) readValue(c, itemType, false);
    return { arrayOf: itemType, count };
  }
  const items: GgufValue[] = [];
  for (let i = 0; i < count; i++) items.push(readValue(c, itemType, true));
  return items;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/**
 * Parses the header at the start of `buf`. Returns "more" when `buf` ends inside the header (read
 * a longer prefix); throws GgufFormatError when the bytes are not a readable GGUF header.
 */
export function parseGgufHeader(buf: Uint8Array): GgufHeader | "more" {
  const parsed = parseGgufHeaderOrNeed(buf);
  return "needBytes" in parsed ? "more" : parsed;
}

/**
 * As parseGgufHeader, but when `buf` ends inside the header it says how many bytes the header
 * takes at least (`needBytes`), so a reader can refuse a header larger than its cap without
 * reading it, and read exactly what it needs otherwise.
 */
export function parseGgufHeaderOrNeed(buf: Uint8Array): GgufHeader | { needBytes: number } {
  if (buf.length < 4) return { needBytes: 4 };
  if (latin1(buf.subarray(0, 4)) !== GGUF_MAGIC) {
    throw new GgufFormatError(
      `not a GGUF file (it starts with ${JSON.stringify(latin1(buf.subarray(0, 4)))}, not "GGUF")`,
      "notGguf",
    );
  }
  const c = new Cursor(buf);
  try {
    c.skip(4);
    const version = c.u32();
    if (version !== 2 && version !== 3)
      throw new GgufFormatError(`unsupported GGUF version ${version}`, "unsupportedVersion");
    const tensorCount = c.u64();
    const kvCount = c.u64();
    if (tensorCount > 1_000_000 || kvCount > 1_000_000)
      throw new GgufFormatError(`implausible header (${tensorCount} tensors, ${kvCount} keys)`);
    // Each key/value takes at least 13 bytes, each tensor info 24: known before looping.
    c.need(kvCount * 13 + tensorCount * 24);
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string();
      // Tokenizer arrays are large and only their length is needed; per-layer arrays are small.
      metadata.set(key, readValue(c, c.u32(), !key.startsWith("tokenizer.")));
    }
    const alignmentValue = metadata.get("general.alignment");
    const alignment = typeof alignmentValue === "number" && alignmentValue > 0 ? alignmentValue : 32;
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = c.string();
      const nDims = c.u32();
      if (nDims > 8) throw new GgufFormatError(`tensor ${name} has ${nDims} dimensions`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(c.u64());
      const ggmlType = c.u32();
      const offset = c.u64();
      tensors.push({ name, dims, ggmlType, offset, byteSize: tensorByteSize(ggmlType, dims) });
    }
    const dataOffset = Math.ceil(c.offset / alignment) * alignment;
    const dataEnd = tensors.reduce((end, t) => Math.max(end, t.offset + (t.byteSize ?? 0)), 0);
    return {
      version,
      metadata,
      tensors,
      alignment,
      dataOffset,
      minimumFileSize: tensors.length === 0 ? c.offset : dataOffset + dataEnd,
    };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return { needBytes: error.needed };
    if (error instanceof GgufFormatError) throw error;
    throw new GgufFormatError(`unreadable GGUF header (${(error as Error).message})`);
  }
}

export type GgufHeaderCheck =
  | { ok: true; version: number; tensorCount: number; kvCount: number; minimumFileSize: number }
  | { ok: false; reason: string };

/**
 * Checks a header whose bytes are all in `buf` (`fileSize`: the file's length, when `buf` is only
 * its start): a GGUF magic and version, a parsable header, and tensor data that fits in the file.
 */
export function checkGgufHeader(buf: Uint8Array, fileSize = buf.length): GgufHeaderCheck {
  let header: GgufHeader | "more";
  try {
    header = parseGgufHeader(buf);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (header === "more") return { ok: false, reason: "the file ends inside its GGUF header (truncated)" };
  if (header.minimumFileSize > fileSize)
    return { ok: false, reason: `truncated: ${fileSize} bytes, but the header describes ${header.minimumFileSize}` };
  return passedHeaderCheck(header);
}

/** The check's answer for a header that was read and whose tensor data is all present. */
export function passedHeaderCheck(header: GgufHeader): GgufHeaderCheck {
  return {
    ok: true,
    version: header.version,
    tensorCount: header.tensors.length,
    kvCount: header.metadata.size,
    minimumFileSize: header.minimumFileSize,
  };
}
