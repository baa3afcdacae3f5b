/**
 * The CLI's argument parser: node:util's parseArgs tokenises, these rules are strict on top.
 * Unknown or repeated options are errors, so a typo never silently changes a benchmark.
 */
import { parseArgs as nodeParseArgs } from "node:util";

export interface ParsedArgs {
  command: string | undefined;
  options: Map<string, string>;
  flags: Set<string>;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: readonly string[],
  booleanFlags: ReadonlySet<string>,
  valueOptions: ReadonlySet<string>,
): ParsedArgs {
  const [command, ...rest] = argv;
  const declared = Object.fromEntries([
    ...[...booleanFlags].map((name) => [name, { type: "boolean" as const }]),
    ...[...valueOptions].map((name) => [name, { type: "string" as const }]),
  ]);
  // node:util does the tokenising (--name value, --name=value); the rules stay ours: unknown,
  // repeated and value-less options are errors, never silently ignored or last-one-wins.
  const { tokens } = nodeParseArgs({
    args: [...rest],
    options: declared,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (const token of tokens) {
    if (token.kind === "positional") throw new UsageError(`Unexpected argument "${token.value}".`);
    if (token.kind === "option-terminator") throw new UsageError('Unexpected argument "--".');
    const name = token.name;
    if (!token.rawName.startsWith("--")) throw new UsageError(`Unknown option ${token.rawName}.`);
    if (booleanFlags.has(name)) {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value.`);
      flags.add(name);
      continue;
    }
    if (!valueOptions.has(name)) throw new UsageError(`Unknown option --${name}.`);
    if (options.has(name)) throw new UsageError(`--${name} was given twice.`);
    if (token.value === undefined) throw new UsageError(`--${name} needs a value.`);
    options.set(name, token.value);
  }
  return { command, options, flags };
}

export function intOption(
  args: ParsedArgs,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}".`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new UsageError(
      `--${name} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, got ${value}.`,
    );
  return value;
}

/** A plain decimal number (no hex, no Infinity, no empty string: Number() accepts all of those). */
export function numberOption(
  args: ParsedArgs,
  name: string,
  fallback: number,
  min = -Number.MAX_VALUE,
  max = Number.MAX_VALUE,
): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw.trim()))
    throw new UsageError(`--${name} must be a decimal number, got "${raw}".`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}.`);
  return value;
}

/** The limits the engine enforces, checked here so a bad value is refused before any model loads. */
export const LIMITS = {
  maxTokens: [1, 32768],
  temperature: [0, 2],
  threads: [0, 512],
  context: [64, 131072],
} as const;

export function requiredOption(args: ParsedArgs, name: string): string {
  const value = args.options.get(name);
  if (value === undefined) throw new UsageError(`--${name} is required.`);
  return value;
}
