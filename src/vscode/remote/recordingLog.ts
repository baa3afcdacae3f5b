import type * as vscode from "vscode";

const KEPT_LINES = 2000;
const WRITERS = new Set(["trace", "debug", "info", "warn", "error", "append", "appendLine"]);

/**
 * The log channel, with its last lines kept in memory so the extension-host tests can check what
 * reached the log (that the API key never does).
 */
export function recordingLog(channel: vscode.LogOutputChannel): {
  log: vscode.LogOutputChannel;
  lines: readonly string[];
  /** How many lines were written so far (a mark for `since`). */
  written(): number;
  /** The lines written after a mark that are still kept. */
  since(mark: number): readonly string[];
} {
  const lines: string[] = [];
  let dropped = 0;
  const log = new Proxy(channel, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || !WRITERS.has(property) || typeof value !== "function")
        return typeof value === "function" ? value.bind(target) : value;
      return (message: unknown, ...args: unknown[]) => {
        lines.push(
          `[${property}] ${message instanceof Error ? message.message : String(message)}${args.length ? ` ${args.map(String).join(" ")}` : ""}`,
        );
        if (lines.length > KEPT_LINES) dropped += lines.splice(0, lines.length - KEPT_LINES).length;
        return (value as (...a: unknown[]) => unknown).apply(target, [message, ...args]);
      };
    },
  });
  return {
    log,
    lines,
    written: () => dropped + lines.length,
    since: (mark) => lines.slice(Math.max(0, mark - dropped)),
  };
}
