/** Decisions on streamed output: show the first line early, stop generating once nothing can change. */
import type { GhostText } from "../types";
import { postprocessCompletion, type PostprocessContext, type RejectReason } from "../postprocessing/postprocess";

export type StreamDecision =
  /** No complete line yet. */
  | { kind: "wait" }
  /** Showable now; `stop`: further tokens cannot change it, so generation can be aborted. */
  | { kind: "show"; ghost: GhostText; stop: boolean }
  /** Already rejected for good (e.g. the first line repeats the line above): stop generating. */
  | { kind: "rejected"; reason: RejectReason; stop: true };

/** Given the text streamed so far, is a first line already showable? */
export function streamDecision(streamed: string, ctx: PostprocessContext): StreamDecision {
  const result = postprocessCompletion(streamed, ctx, { final: false });
  switch (result.kind) {
    case "pending":
      return { kind: "wait" };
    case "rejected":
      return { kind: "rejected", reason: result.reason, stop: true };
    case "ghost":
      return { kind: "show", ghost: result.ghost, stop: result.complete };
  }
}
