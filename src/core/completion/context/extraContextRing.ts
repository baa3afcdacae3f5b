/**
 * Bounded ring of context chunks from other files the user recently opened, edited or copied from
 * (after llama.vscode). New chunks wait in a queue and enter the ring only through `promote()`,
 * which the adapter calls while the user is idle: changing the ring changes the start of the
 * prompt, so the whole KV cache is recomputed; doing it between keystrokes would cost latency.
 */

export type ChunkSource = "open" | "edit" | "save" | "copy" | "scope" | "definition";

export interface ContextChunk {
  uri: string;
  /** Path shown to the model in the chunk's header. */
  path: string;
  text: string;
  source?: ChunkSource;
}

export interface RingOptions {
  maxChunks?: number;
  maxQueued?: number;
  /** Chunks at least this similar (0..1, by shared lines) replace each other. */
  similarity?: number;
  /** Chunks with fewer non-blank lines are not worth the tokens. */
  minLines?: number;
}

/** Share of lines two chunks have in common: 2*common/(n1+n2), as llama.vscode's chunk_sim. */
export function lineSimilarity(a: string, b: string): number {
  const la = a.split("\n");
  const lb = b.split("\n");
  if (la.length + lb.length === 0) return 1;
  const counts = new Map<string, number>();
  for (const l of la) counts.set(l, (counts.get(l) ?? 0) + 1);
  let common = 0;
  for (const l of lb) {
    const n = counts.get(l) ?? 0;
    if (n > 0) {
      common++;
      counts.set(l, n - 1);
    }
  }
  return (2 * common) / (la.length + lb.length);
}

/** A chunk of `size` lines centred on `line` (what the adapter queues for a cursor position). */
export function chunkAround(lines: readonly string[], line: number, size = 64): string {
  const start = Math.max(0, Math.min(line - Math.floor(size / 2), lines.length - size));
  return lines.slice(start, start + size).join("\n");
}

export class ExtraContextRing {
  private readonly ring: ContextChunk[] = [];
  private readonly queue: ContextChunk[] = [];
  private readonly maxChunks: number;
  private readonly maxQueued: number;
  private readonly similarity: number;
  private readonly minLines: number;
  private versionCounter = 0;

  constructor(options: RingOptions = {}) {
    this.maxChunks = options.maxChunks ?? 16;
    this.maxQueued = options.maxQueued ?? 16;
    this.similarity = options.similarity ?? 0.9;
    this.minLines = options.minLines ?? 3;
  }

  /** Chunks in the ring, oldest first (the order they go into the prompt). */
  get chunks(): readonly ContextChunk[] {
    return this.ring;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Increments whenever the ring's content changes. */
  get version(): number {
    return this.versionCounter;
  }

  /** Queues a chunk; false when it is too small or already in the ring or queue. */
  enqueue(chunk: ContextChunk): boolean {
    const nonBlank = chunk.text.split("\n").filter((l) => l.trim().length > 0).length;
    if (nonBlank < this.minLines) return false;
    if (this.ring.some((c) => c.text === chunk.text)) return false;
    // A newer near-duplicate replaces the queued one (e.g. the same region after an edit).
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].text === chunk.text) return false;
      if (lineSimilarity(this.queue[i].text, chunk.text) >= this.similarity) this.queue.splice(i, 1);
    }
    this.queue.push(chunk);
    if (this.queue.length > this.maxQueued) this.queue.shift();
    return true;
  }

  /** Moves the oldest queued chunk into the ring (call while idle); true when the ring changed. */
  promote(): boolean {
    const chunk = this.queue.shift();
    if (!chunk) return false;
    for (let i = this.ring.length - 1; i >= 0; i--) {
      if (lineSimilarity(this.ring[i].text, chunk.text) >= this.similarity) this.ring.splice(i, 1);
    }
    this.ring.push(chunk);
    while (this.ring.length > this.maxChunks) this.ring.shift();
    this.versionCounter++;
    return true;
  }

  /** Drops chunks of a closed or deleted document. */
  removeUri(uri: string): void {
    const before = this.ring.length;
    for (let i = this.ring.length - 1; i >= 0; i--) if (this.ring[i].uri === uri) this.ring.splice(i, 1);
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].uri === uri) this.queue.splice(i, 1);
    if (this.ring.length !== before) this.versionCounter++;
  }

  clear(): void {
    if (this.ring.length > 0) this.versionCounter++;
    this.ring.length = 0;
    this.queue.length = 0;
  }
}
