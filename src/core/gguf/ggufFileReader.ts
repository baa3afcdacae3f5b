/**
 * Reads a GGUF header through a byte source (a file handle in src/client/ggufFile.ts, a buffer in
 * tests) with a size cap: it asks the parser how many bytes the header takes at least and refuses
 * a header over the cap before reading it, so a hostile count (2^40 strings) costs a few bytes of
 * reading, not a GiB or a hung worker. Every refusal is a GgufFileError with a code and the file.
 */
import { GgufFormatError, parseGgufHeaderOrNeed, type GgufHeader } from "./ggufHeader";

/** Why a file is refused (the first four come from the file system, set by the disk reader). */
export type GgufFileErrorCode =
  | "notFound"
  | "unreadable"
  | "isDirectory"
  | "notRegularFile"
  | "notGguf"
  | "unsupportedVersion"
  | "corrupt"
  | "truncated"
  | "headerTooLarge";

export class GgufFileError extends Error {
  constructor(
    readonly code: GgufFileErrorCode,
    readonly filePath: string,
    /** What is wrong, without the file name (the downloader's check reports this). */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * No real model's header comes near this (a 256k vocabulary with merges is ~20 MiB); a header
 * that declares more is corrupt or hostile and is refused without reading it.
 */
export const MAX_GGUF_HEADER_BYTES = 64 << 20;

export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `position` (fewer only at the end). */
  read(position: number, length: number): Promise<Uint8Array>;
}

export interface GgufReadOptions {
  maxHeaderBytes?: number;
}

/** Parses the header of `source`, reading no more than the header needs and never more than the cap. */
export async function readGgufHeaderFrom(
  source: ByteSource,
  filePath: string,
  options: GgufReadOptions = {},
): Promise<GgufHeader> {
  const cap = options.maxHeaderBytes ?? MAX_GGUF_HEADER_BYTES;
  let bytes: Uint8Array = new Uint8Array(0);
  let want = Math.min(source.size, 1 << 20, cap);
  let ended = false;
  for (;;) {
    if (want > bytes.length) {
      const more = await source.read(bytes.length, want - bytes.length);
      // A file that shrank while read: what is there is all there is.
      if (more.length < want - bytes.length) ended = true;
      const joined = new Uint8Array(bytes.length + more.length);
      joined.set(bytes);
      joined.set(more, bytes.length);
      bytes = joined;
    }
    let parsed;
    try {
      parsed = parseGgufHeaderOrNeed(bytes);
    } catch (error) {
      if (!(error instanceof GgufFormatError)) throw error;
      const message =
        error.code === "notGguf"
          ? `Not a GGUF model file: ${filePath} (${error.message.replace(/^not a GGUF file \((.*)\)$/, "$1")})`
          : `The GGUF header of ${filePath} is not readable: ${error.message}`;
      throw new GgufFileError(error.code, filePath, error.message, message);
    }
    if (!("needBytes" in parsed)) return parsed;
    const need = parsed.needBytes;
    if (need > cap && need <= source.size)
      throw new GgufFileError(
        "headerTooLarge",
        filePath,
        `its header takes at least ${need} bytes (the limit is ${cap})`,
        `The GGUF header of ${filePath} takes at least ${need} bytes, more than the ${cap} a model header may have: the file is corrupt.`,
      );
    if (need > source.size || bytes.length >= source.size || ended)
      throw new GgufFileError(
        "truncated",
        filePath,
        "the file ends inside its GGUF header (truncated)",
        `The GGUF file is truncated: ${filePath} ends inside its header (${source.size} bytes). Download it again.`,
      );
    // Grow geometrically (the parser's lower bound can be far below the real header size).
    want = Math.min(source.size, cap, Math.max(need, bytes.length * 4));
  }
}

/** Throws "truncated" when the file is shorter than the tensor data its header describes. */
export function checkGgufDataPresent(header: GgufHeader, sizeBytes: number, filePath: string): void {
  if (header.minimumFileSize > sizeBytes)
    throw new GgufFileError(
      "truncated",
      filePath,
      `truncated: ${sizeBytes} bytes, but the header describes ${header.minimumFileSize}`,
      `The GGUF file is truncated: ${filePath} has ${sizeBytes} bytes but its header describes ${header.minimumFileSize}. Download it again.`,
    );
}
