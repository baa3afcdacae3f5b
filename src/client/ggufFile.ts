/**
 * GGUF headers of files on disk: reads as much of a file as its header needs (vocabularies make
 * it several MiB) and hands the bytes to the parser in src/core/gguf. The downloader checks a
 * finished download with checkGgufFile; model choice sizes a local .gguf with readGgufSummary,
 * without loading it and without node-llama-cpp (the CLI's `select` answers from flags alone).
 */
import * as fs from "node:fs/promises";
import { checkGgufHeader, GgufFormatError, parseGgufHeader, type GgufHeader, type GgufHeaderCheck } from "../core/gguf/ggufHeader";
import { ggufSummary, type GgufSummary } from "../core/gguf/ggufSummary";
import { ladderFromGgufFile } from "../core/models/catalog";
import type { ModelLadder } from "../core/models/selectModel";

export type { GgufSummary } from "../core/gguf/ggufSummary";

/** Headers larger than this are not read (no real model has one). */
const MAX_HEADER_BYTES = 512 << 20;

/** The file's header bytes (a prefix that holds the whole header, or the whole file when shorter) and its size. */
async function readHeaderBytes(filePath: string): Promise<{ header: GgufHeader | "more"; bytes: Uint8Array; sizeBytes: number }> {
  const handle = await fs.open(filePath, "r");
  try {
    const { size } = await handle.stat();
    for (let want = Math.min(size, 1 << 20); ; want = Math.min(size, want * 4)) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buf, 0, want, 0);
      const bytes = buf.subarray(0, bytesRead);
      const header = parseGgufHeader(bytes);
      if (header !== "more" || want >= size || want >= MAX_HEADER_BYTES) return { header, bytes, sizeBytes: size };
    }
  } finally {
    await handle.close();
  }
}

/** Parses a file's header; throws GgufFormatError (also for a file that ends inside it) or the fs error. */
export async function readGgufHeader(filePath: string): Promise<{ header: GgufHeader; sizeBytes: number }> {
  const { header, sizeBytes } = await readHeaderBytes(filePath);
  if (header === "more") throw new GgufFormatError("the file ends inside its GGUF header (truncated)");
  return { header, sizeBytes };
}

/** A downloaded file's check: GGUF magic and version, a readable header, and all its tensor data present. */
export async function checkGgufFile(filePath: string): Promise<GgufHeaderCheck> {
  let read;
  try {
    read = await readHeaderBytes(filePath);
  } catch (error) {
    if (error instanceof GgufFormatError) return { ok: false, reason: error.message };
    throw error;
  }
  return checkGgufHeader(read.bytes, read.sizeBytes);
}

/** Reads a .gguf header's architecture numbers. Errors name the file and what is wrong with it. */
export async function readGgufSummary(filePath: string): Promise<GgufSummary> {
  let read;
  try {
    read = await readGgufHeader(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`Model file not found: ${filePath}`);
    if (code === "EACCES" || code === "EPERM") throw new Error(`Model file is not readable (permission denied): ${filePath}`);
    if (code === "EISDIR") throw new Error(`Model path is a directory, not a GGUF file: ${filePath}`);
    throw new Error(`Cannot read the GGUF header of ${filePath}: ${(error as Error).message}`);
  }
  return ggufSummary(read.header, filePath, read.sizeBytes);
}

/** The one-quant ladder of a file on disk (its quant is the header's file type, else "custom"). */
export async function ladderForGgufFile(filePath: string): Promise<{ ladder: ModelLadder; summary: GgufSummary }> {
  const summary = await readGgufSummary(filePath);
  return { ladder: ladderFromGgufFile(filePath, summary.fields, summary.sizeBytes, summary.fileType ?? "custom", summary.cpuRepackBytes), summary };
}
