/**
 * GGUF headers of files on disk: the one reader every path uses before anything else touches a
 * model file (the worker before node-llama-cpp, `select`, model choice, the downloader's check).
 * It opens without blocking and refuses anything but a regular file (a FIFO would hang a plain
 * read), reads only what the header needs up to a cap, and hands the bytes to the parser in
 * src/core/gguf. Every refusal is a GgufFileError with a code and the file's path.
 */
import * as fs from "node:fs/promises";
import { constants } from "node:fs";
import { passedHeaderCheck, type GgufHeader, type GgufHeaderCheck } from "../core/gguf/ggufHeader";
import {
  checkGgufDataPresent,
  GgufFileError,
  readGgufHeaderFrom,
  type GgufReadOptions,
} from "../core/gguf/ggufFileReader";
import { ggufSummary, type GgufSummary } from "../core/gguf/ggufSummary";
import { ladderFromGgufFile } from "../core/models/catalog";
import type { ModelLadder } from "../core/models/selectModel";

export type { GgufSummary } from "../core/gguf/ggufSummary";
export { GgufFileError } from "../core/gguf/ggufFileReader";

function openError(filePath: string, error: unknown): GgufFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new GgufFileError("notFound", filePath, "not found", `Model file not found: ${filePath}`);
  if (code === "EACCES" || code === "EPERM")
    return new GgufFileError(
      "unreadable",
      filePath,
      "permission denied",
      `Model file is not readable (permission denied): ${filePath}`,
    );
  if (code === "EISDIR") return isDirectory(filePath);
  const why = (error as Error).message;
  return new GgufFileError("unreadable", filePath, why, `Cannot read model file ${filePath}: ${why}`);
}

const isDirectory = (filePath: string) =>
  new GgufFileError("isDirectory", filePath, "a directory", `Model path is a directory, not a GGUF file: ${filePath}`);

/** Parses a file's header (reading at most `maxHeaderBytes`); throws GgufFileError. */
export async function readGgufHeader(
  filePath: string,
  options: GgufReadOptions = {},
): Promise<{ header: GgufHeader; sizeBytes: number }> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    handle = await fs.open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw openError(filePath, error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw isDirectory(filePath);
    if (!stat.isFile()) {
      const kind = stat.isFIFO()
        ? "a FIFO"
        : stat.isCharacterDevice() || stat.isBlockDevice()
          ? "a device"
          : stat.isSocket()
            ? "a socket"
            : "not a regular file";
      throw new GgufFileError(
        "notRegularFile",
        filePath,
        kind,
        `Model path is not a regular file (${kind}): ${filePath}. Point the setting at a .gguf file.`,
      );
    }
    const source = {
      size: stat.size,
      read: async (position: number, length: number) => {
        const buf = Buffer.alloc(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await handle.read(buf, got, length - got, position + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      },
    };
    return { header: await readGgufHeaderFrom(source, filePath, options), sizeBytes: stat.size };
  } catch (error) {
    if (error instanceof GgufFileError) throw error;
    throw openError(filePath, error);
  } finally {
    await handle.close();
  }
}

/** A file a model can be loaded from: a readable header and all its tensor data present. */
export async function readCompleteGgufFile(
  filePath: string,
  options: GgufReadOptions = {},
): Promise<{ header: GgufHeader; sizeBytes: number }> {
  const read = await readGgufHeader(filePath, options);
  checkGgufDataPresent(read.header, read.sizeBytes, filePath);
  return read;
}

/** A downloaded file's check: GGUF magic and version, a readable header, and all its tensor data present. */
export async function checkGgufFile(filePath: string): Promise<GgufHeaderCheck> {
  try {
    const { header } = await readCompleteGgufFile(filePath);
    return passedHeaderCheck(header);
  } catch (error) {
    if (error instanceof GgufFileError) return { ok: false, reason: error.reason };
    throw error;
  }
}

/** Reads a .gguf header's architecture numbers. Errors name the file and what is wrong with it. */
export async function readGgufSummary(filePath: string): Promise<GgufSummary> {
  const read = await readGgufHeader(filePath);
  return ggufSummary(read.header, filePath, read.sizeBytes);
}

/** The one-quant ladder of a file on disk (its quant is the header's file type, else "custom"). */
export async function ladderForGgufFile(filePath: string): Promise<{ ladder: ModelLadder; summary: GgufSummary }> {
  const summary = await readGgufSummary(filePath);
  return {
    ladder: ladderFromGgufFile(
      filePath,
      summary.fields,
      summary.sizeBytes,
      summary.fileType ?? "custom",
      summary.cpuRepackBytes,
    ),
    summary,
  };
}
