/**
 * Checks a model path before llama.cpp sees it, so a wrong path gives an error that names the file
 * and the problem instead of a native crash or an opaque message.
 */
import * as fs from "node:fs/promises";
import { constants } from "node:fs";
import { WorkerFailure } from "./failure";

const GGUF_MAGIC = Buffer.from("GGUF", "ascii");

export async function checkModelFile(modelPath: string): Promise<{ sizeBytes: number }> {
  let stat;
  try {
    stat = await fs.stat(modelPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      throw new WorkerFailure("modelNotFound", `Model file not found: ${modelPath}. Check the path in your settings or pick a model with "Local Code: Select Model".`);
    if (code === "EACCES" || code === "EPERM")
      throw new WorkerFailure("modelUnreadable", `Model file is not readable (permission denied): ${modelPath}. Fix its permissions or choose another file.`);
    throw new WorkerFailure("modelUnreadable", `Cannot access model file ${modelPath}: ${(error as Error).message}`);
  }
  if (stat.isDirectory())
    throw new WorkerFailure("modelInvalid", `Model path is a directory, not a GGUF file: ${modelPath}. Point the setting at the .gguf file inside it.`);
  if (!stat.isFile()) throw new WorkerFailure("modelInvalid", `Model path is not a regular file: ${modelPath}.`);

  let handle;
  try {
    handle = await fs.open(modelPath, constants.O_RDONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" ? "permission denied" : (error as Error).message;
    throw new WorkerFailure("modelUnreadable", `Model file is not readable (${why}): ${modelPath}. Fix its permissions or choose another file.`);
  }
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4 || !head.equals(GGUF_MAGIC)) {
      const shown = JSON.stringify(head.subarray(0, bytesRead).toString("latin1"));
      throw new WorkerFailure(
        "modelInvalid",
        `Not a GGUF model file: ${modelPath} (it starts with ${shown}, expected "GGUF"). Download a .gguf build of the model.`,
      );
    }
  } finally {
    await handle.close();
  }
  return { sizeBytes: stat.size };
}
