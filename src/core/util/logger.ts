/**
 * The one logger shape of the project. The extension's LogOutputChannel satisfies it; each consumer
 * asks for the levels it writes (`Pick<Logger, "info" | "warn">`) so tests can pass small fakes.
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** A Logger that hands every line to one function (the worker's IPC channel, the CLI's stderr). */
export function loggerFrom(write: (level: LogLevel, message: string) => void): Logger {
  return {
    error: (message) => write("error", message),
    warn: (message) => write("warn", message),
    info: (message) => write("info", message),
    debug: (message) => write("debug", message),
  };
}
