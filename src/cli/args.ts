/**
 * A tiny, strict argument parser for the CLI: `--name value` pairs and boolean flags.
 * Unknown or repeated options are errors, so a typo never silently changes a benchmark.
 */
export interface ParsedArgs {
  command: string | undefined;
  options: Map<string, string>;
  flags: Set<string>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string>, valueOptions: ReadonlySet<string>): ParsedArgs {
  const [command, ...rest] = argv;
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith("--")) throw new UsageError(`Unexpected argument "${arg}".`);
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (booleanFlags.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value.`);
      flags.add(name);
      continue;
    }
    if (!valueOptions.has(name)) throw new UsageError(`Unknown option --${name}.`);
    if (options.has(name)) throw new UsageError(`--${name} was given twice.`);
    const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--${name} needs a value.`);
    options.set(name, value);
  }
  return { command, options, flags };
}

export function intOption(args: ParsedArgs, name: string, fallback: number, min = 0): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be an integer, got "${raw}".`);
  const value = Number(raw);
  if (value < min) throw new UsageError(`--${name} must be at least ${min}, got ${value}.`);
  return value;
}

export function numberOption(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${raw}".`);
  return value;
}

export function requiredOption(args: ParsedArgs, name: string): string {
  const value = args.options.get(name);
  if (value === undefined) throw new UsageError(`--${name} is required.`);
  return value;
}
