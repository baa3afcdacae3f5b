import type { ErrorCode } from "../core/engine/types";

/** An error the worker reports to its parent with a code; anything else becomes "internal". */
export class WorkerFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
