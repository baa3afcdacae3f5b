/**
 * Recent completions keyed by a hash of (prefix tail, suffix head). A lookup also tries the
 * prefix with the last few typed characters removed: when those characters are the start of the
 * cached suggestion, the user is typing it out and the rest is served with no model call.
 */
import type { GhostText } from "../types";
import { hash53, toLf } from "../text";
import { LruCache } from "../../util/lruCache";

export interface CompletionCacheOptions {
  maxEntries?: number;
  /** How many typed characters a lookup walks back over. */
  maxTypedAhead?: number;
  /** Key on this much of the prefix end and suffix start: enough to tell positions apart, cheap to hash. */
  prefixKeyChars?: number;
  suffixKeyChars?: number;
}

/** Cached entries hold LF text; a null ghost records a rejected output, so it is not asked for again. */
export interface CachedCompletion {
  text: string | null;
  replaceRight: number;
}

export type CacheLookup =
  | { kind: "miss" }
  /** `typed`: characters of the cached suggestion the user typed since; `ghost` is what is left (LF). */
  | { kind: "hit"; ghost: GhostText | null; typed: number };

export class CompletionCache {
  private readonly lru: LruCache<string, CachedCompletion>;
  private readonly maxTypedAhead: number;
  private readonly prefixKeyChars: number;
  private readonly suffixKeyChars: number;

  constructor(options: CompletionCacheOptions = {}) {
    this.lru = new LruCache(options.maxEntries ?? 256);
    this.maxTypedAhead = options.maxTypedAhead ?? 64;
    this.prefixKeyChars = options.prefixKeyChars ?? 2048;
    this.suffixKeyChars = options.suffixKeyChars ?? 512;
  }

  get size(): number {
    return this.lru.size;
  }

  private key(prefix: string, suffixHash: number): string {
    return `${hash53(prefix.slice(-this.prefixKeyChars))}:${suffixHash}`;
  }

  private suffixHash(suffix: string): number {
    return hash53(suffix.slice(0, this.suffixKeyChars), 1);
  }

  /** Stores a result (ghost text in any EOL, or null for a rejected output). */
  set(prefix: string, suffix: string, ghost: GhostText | null): void {
    const entry: CachedCompletion = ghost
      ? { text: toLf(ghost.text), replaceRight: ghost.replaceRight }
      : { text: null, replaceRight: 0 };
    this.lru.set(this.key(toLf(prefix), this.suffixHash(toLf(suffix))), entry);
  }

  has(prefix: string, suffix: string): boolean {
    return this.lru.has(this.key(toLf(prefix), this.suffixHash(toLf(suffix))));
  }

  lookup(prefixAnyEol: string, suffixAnyEol: string): CacheLookup {
    const prefix = toLf(prefixAnyEol);
    const suffixHash = this.suffixHash(toLf(suffixAnyEol));
    const exact = this.lru.get(this.key(prefix, suffixHash));
    if (exact)
      return {
        kind: "hit",
        ghost: exact.text === null ? null : { text: exact.text, replaceRight: exact.replaceRight },
        typed: 0,
      };
    for (let typed = 1; typed <= Math.min(this.maxTypedAhead, prefix.length); typed++) {
      const entry = this.lru.get(this.key(prefix.slice(0, prefix.length - typed), suffixHash));
      if (!entry || entry.text === null) continue;
      const typedText = prefix.slice(prefix.length - typed);
      if (entry.text.length > typed && entry.text.startsWith(typedText)) {
        return { kind: "hit", ghost: { text: entry.text.slice(typed), replaceRight: entry.replaceRight }, typed };
      }
    }
    return { kind: "miss" };
  }

  clear(): void {
    this.lru.clear();
  }
}
