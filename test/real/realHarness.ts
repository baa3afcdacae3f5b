/**
 * Shared by the `real` tier: the worker on 2 threads with greedy decoding, the CLI, and the
 * property checks every chat answer must pass (no template or special-token text leaks).
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cliPath, makeClient } from "../engine/workerHarness";
import type { WorkerClient } from "../../src/client/workerClient";

/** 2 threads: the machine's cores; these are 135M/270M models, so load and answers stay short. */
export const THREADS = 2;

export function realClient(): WorkerClient {
  return makeClient({ threads: THREADS });
}

/** Template and special-token text of both models' chat formats (Gemma, ChatML) and generic ones. */
export const LEAK =
  /<start_of_turn>|<end_of_turn>|<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<eos>|<bos>|<\/s>|<pad>|<\|file_sep\|>|<file_sep>|<repo_name>/;

export function assertNoLeak(text: string): void {
  assert.doesNotMatch(text, LEAK, `template/special-token text leaked into the answer: ${JSON.stringify(text)}`);
  assert.doesNotMatch(
    text,
    /^\s*(user|model|assistant)\s*\n/i,
    `a role header leaked into the answer: ${JSON.stringify(text)}`,
  );
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args, "--threads", String(THREADS), "--gpu", "cpu"],
      { timeout: 300_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export function cliJson(run: CliRun): Record<string, unknown> {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout.trim()) as Record<string, unknown>;
}
