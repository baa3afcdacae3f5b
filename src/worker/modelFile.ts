/**
 * Checks a model file with the project's own GGUF header reader before llama.cpp sees it, so a
 * wrong path, a FIFO, a truncated or hostile header gives a coded error that names the file in
 * bounded time instead of a hang, a native crash or an opaque message.
 */
import type { ErrorCode } from "../core/protocol/workerProtocol";
import type { GgufFileErrorCode } from "../core/gguf/ggufFileReader";
import { GgufFileError, readCompleteGgufFile } from "../client/ggufFile";
import { WorkerFailure } from "./failure";

const WORKER_CODE: Record<GgufFileErrorCode, ErrorCode> = {
  notFound: "modelNotFound",
  unreadable: "modelUnreadable",
  isDirectory: "modelInvalid",
  notRegularFile: "modelInvalid",
  notGguf: "modelInvalid",
  unsupportedVersion: "modelInvalid",
  corrupt: "modelInvalid",
  truncated: "modelInvalid",
  headerTooLarge: "modelInvalid",
};

const HINT: Partial<Record<GgufFileErrorCode, string>> = {
  notFound: `Check the path in your settings or pick a model with "Local Code: Select Model".`,
  unreadable: "Fix its permissions or choose another file.",
  isDirectory: "Point the setting at the .gguf file inside it.",
  notGguf: "Download a .gguf build of the model.",
};

export async function checkModelFile(modelPath: string): Promise<{ sizeBytes: number }> {
  try {
    const { sizeBytes } = await readCompleteGgufFile(modelPath);
    return { sizeBytes };
  } catch (error) {
    if (!(error instanceof GgufFileError)) throw error;
    const hint = HINT[error.code];
    const message = hint ? `${error.message.replace(/\.$/, "")}. ${hint}` : error.message;
    throw new WorkerFailure(WORKER_CODE[error.code], message);
  }
}
