/**
 * Splits text that is too long for one model call into consecutive chunks on structural
 * boundaries (top-level declarations, blank lines, block ends), each within a token budget.
 * Nothing is dropped or repeated: the chunks concatenated give back the input exactly.
 *
 * Token counts come from the model's tokenizer through `count`. To keep the number of (IPC) calls
 * small, chunks are first packed on an estimate (tokens per character, measured on the input), then
 * each chunk is counted exactly and an over-budget one is packed again with its own measured ratio.
 */

/** Token count of a text, exact (the model's tokenizer) or a test double. */
export type TokenCountFn = (text: string, signal?: AbortSignal) => number | Promise<number>;

export interface Chunk {
  text: string;
  /** Offsets in the input: `input.slice(start, end) === text`. */
  start: number;
  end: number;
  /** 1-based lines of the input that the chunk touches (inclusive). */
  startLine: number;
  endLine: number;
  /** Exact token count of `text`. */
  tokens: number;
}

export interface ChunkOptions {
  /** Most tokens one chunk may count. */
  maxTokens: number;
  count: TokenCountFn;
  signal?: AbortSignal;
  /**
   * A chunk is cut at the strongest boundary that keeps it at least this full (share of the
   * budget), so structure wins over filling every chunk to the brim; a much stronger boundary
   * may make it as short as a quarter of the budget. Default 0.6.
   */
  minFill?: number;
}

/** The smallest budget that can always make progress (a code point is at most a few tokens). */
export const MIN_CHUNK_TOKENS = 8;

/**
 * How good a place for a cut the start of each line is; `scores[i]` is for a cut before line
 * `i` (`scores[0]` is 0: there is nothing before the first line). Higher is better:
 *  - 1: any other line start, a line that continues the one before (closing bracket, operator),
 *    or a line right after a comment or decorator (which belongs with what follows it)
 *  - 2: after a line that closes a block (`}`, `end`) at the same or a deeper indent, or where a
 *    comment starts after code (a documented member follows)
 *  - 3: after a blank line
 *  - plus 2 when the line is at the input's top level, plus 1 when it is one level deeper.
 * So a top-level declaration after a blank line scores 5, a method after a blank line 4, a blank
 * line inside a function body 3, and a cut before a blank line (blank lines stay with the chunk
 * they end) 1.
 */
export function boundaryScores(lines: readonly string[]): number[] {
  const indents = lines.map(indentWidth);
  let top = Infinity;
  for (let i = 0; i < lines.length; i++) {
    if (!isBlank(lines[i]!)) {
      top = Math.min(top, indents[i]!);
    }
  }
  const scores = new Array<number>(lines.length).fill(1);
  if (lines.length > 0) {
    scores[0] = 0;
  }
  let prevNonBlank = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && !isBlank(line)) {
      if (CONTINUATION.test(line) || (!isBlank(lines[i - 1]!) && ATTACHED.test(lines[i - 1]!))) {
        scores[i] = 1;
      } else {
        const afterBlank = isBlank(lines[i - 1]!);
        const afterClose =
          prevNonBlank >= 0 && BLOCK_END.test(lines[prevNonBlank]!) && indents[prevNonBlank]! >= indents[i]!;
        const commentStart = COMMENT_START.test(line) && prevNonBlank >= 0 && !ATTACHED.test(lines[prevNonBlank]!);
        const base = afterBlank ? 3 : afterClose || commentStart ? 2 : 1;
        const depth = indents[i]! - top;
        scores[i] = base + (depth <= 0 ? 2 : depth <= 4 ? 1 : 0);
      }
    }
    if (!isBlank(line)) {
      prevNonBlank = i;
    }
  }
  return scores;
}

/** A line that ends a block: `}`, `};`, `})`, `end`, `fi`, `esac`, `</div>`... */
const BLOCK_END = /^\s*(?:[}\])]+[;,)]*|end\b.*|fi|done|esac|<\/[\w.-]+>)\s*$/;
/** A line that continues the previous one (cutting before it splits an expression). */
const CONTINUATION = /^\s*(?:[)\]}]|\.(?!\.\.)|\?|:(?!:)|&&|\|\||\+(?!\+)|-(?!-)|\*(?![*/])|,|=>)/;

/** The first line of a comment: `/**`, `//`, `#`. */
const COMMENT_START = /^\s*(?:\/\*|\/\/|#\s|#$)/;
/** A comment or decorator line: it describes the line after it. */
const ATTACHED = /^\s*(?:\/\/|\/\*|\*|#\s|#$|@\w|<!--)/;

function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

function indentWidth(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === " ") {
      width++;
    } else if (ch === "\t") {
      width += 4;
    } else {
      break;
    }
  }
  return width;
}

/** Lines with their line breaks kept ("\r\n" stays whole); the last one may have none. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) {
    lines.push(text.slice(start));
  }
  return lines;
}

/** A piece of the input that is never split unless it alone is over budget. */
interface Unit {
  start: number;
  end: number;
  /** Score of a cut before this unit (see boundaryScores); 0 inside a line. */
  score: number;
  /** Whether this unit is a whole line (splitting it further means cutting inside a line). */
  line: boolean;
}

/**
 * Split `text` into chunks of at most `maxTokens` tokens each, cutting at the strongest structural
 * boundary available. Cuts fall inside a line only when that line alone is over budget.
 */
export async function chunkText(text: string, options: ChunkOptions): Promise<Chunk[]> {
  const { maxTokens, signal } = options;
  if (!Number.isFinite(maxTokens) || maxTokens < MIN_CHUNK_TOKENS) {
    throw new RangeError(`The chunk budget must be at least ${MIN_CHUNK_TOKENS} tokens (got ${maxTokens}).`);
  }
  if (text.length === 0) {
    return [];
  }
  const minFill = options.minFill ?? 0.6;
  const count = async (piece: string): Promise<number> => {
    signal?.throwIfAborted();
    const tokens = await options.count(piece, signal);
    signal?.throwIfAborted();
    return tokens;
  };
  const lineStarts = lineStartOffsets(text);
  const toChunk = (start: number, end: number, tokens: number): Chunk => ({
    text: text.slice(start, end),
    start,
    end,
    startLine: lineAt(lineStarts, start),
    // The line of the last character: a chunk ending with a line break ends on that line.
    endLine: lineAt(lineStarts, end - 1),
    tokens,
  });

  const total = await count(text);
  if (total <= maxTokens) {
    return [toChunk(0, text.length, total)];
  }

  const lines = splitLines(text);
  const scores = boundaryScores(lines);
  const units: Unit[] = [];
  let offset = 0;
  lines.forEach((line, i) => {
    units.push({ start: offset, end: offset + line.length, score: scores[i]!, line: true });
    offset += line.length;
  });

  // Pack on an estimate a little under budget, then check each chunk exactly.
  const fit = async (group: Unit[], tokensPerChar: number, target: number): Promise<Chunk[]> => {
    const out: Chunk[] = [];
    for (const packed of pack(group, target / tokensPerChar, minFill)) {
      const start = packed[0]!.start;
      const end = packed[packed.length - 1]!.end;
      const tokens = await count(text.slice(start, end));
      if (tokens <= maxTokens) {
        out.push(toChunk(start, end, tokens));
        continue;
      }
      const pieces = packed.length > 1 ? packed : subdivide(text, packed[0]!);
      if (pieces.length <= 1) {
        // One code point over budget: nothing smaller exists (impossible above MIN_CHUNK_TOKENS).
        out.push(toChunk(start, end, tokens));
        continue;
      }
      // This stretch is denser than the estimate: repack it with its own measured density.
      out.push(...(await fit(pieces, (tokens / (end - start)) * 1.05, maxTokens * 0.95)));
    }
    return out;
  };
  return fit(units, total / text.length, maxTokens * 0.9);
}

/** No chunk is cut shorter than this share of the budget (unless the next unit is very long). */
const MIN_FILL = 0.25;

/**
 * Greedy packing by characters: fill up to `maxChars`, then cut at the highest-scoring boundary
 * that keeps the chunk at least `minFill` full (the latest of equal scores). Every group has at
 * least one unit; a unit alone over `maxChars` forms its own group.
 */
function pack(units: readonly Unit[], maxChars: number, minFill: number): Unit[][] {
  const groups: Unit[][] = [];
  let s = 0;
  while (s < units.length) {
    const base = units[s]!.start;
    let e = s + 1;
    while (e < units.length && units[e]!.end - base <= maxChars) {
      e++;
    }
    if (e === units.length) {
      groups.push(units.slice(s));
      break;
    }
    // A cut before unit k (s < k <= e) makes the group units[s..k). Below `minFill` a cut costs a
    // point (a much better boundary still wins, e.g. a top-level declaration over a blank line in
    // a body); below MIN_FILL it is not considered.
    const value = (k: number) => units[k]!.score - (units[k]!.start - base < minFill * maxChars ? 1 : 0);
    let best = e;
    let bestValue = value(e);
    for (let k = e - 1; k > s && units[k]!.start - base >= MIN_FILL * maxChars; k--) {
      if (value(k) > bestValue) {
        best = k;
        bestValue = value(k);
      }
    }
    groups.push(units.slice(s, best));
    s = best;
  }
  return groups;
}

/**
 * Smaller units for one unit that is over budget: a line splits after its whitespace runs (words),
 * anything else into 16 pieces; never between the two halves of a surrogate pair.
 */
function subdivide(text: string, unit: Unit): Unit[] {
  const cuts: number[] = [];
  if (unit.line) {
    const re = /\s+/g;
    re.lastIndex = 0;
    const body = text.slice(unit.start, unit.end);
    for (let m = re.exec(body); m; m = re.exec(body)) {
      const at = unit.start + m.index + m[0].length;
      if (at > unit.start && at < unit.end) {
        cuts.push(at);
      }
    }
  }
  if (cuts.length === 0) {
    const step = Math.max(1, Math.ceil((unit.end - unit.start) / 16));
    for (let at = unit.start + step; at < unit.end; at += step) {
      const safe = isLowSurrogate(text.charCodeAt(at)) && isHighSurrogate(text.charCodeAt(at - 1)) ? at + 1 : at;
      if (safe < unit.end && safe > (cuts[cuts.length - 1] ?? unit.start)) {
        cuts.push(safe);
      }
    }
  }
  const bounds = [unit.start, ...cuts, unit.end];
  const pieces: Unit[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    pieces.push({ start: bounds[i]!, end: bounds[i + 1]!, score: i === 0 ? unit.score : 0, line: false });
  }
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
    starts.push(i + 1);
  }
  return starts;
}

/** 1-based line of the character at `offset`. */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo + 1;
}
