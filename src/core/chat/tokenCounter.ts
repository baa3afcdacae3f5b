/**
 * Token counts for chips and budgeting: exact from the model's tokenizer when a chat model is
 * loaded, otherwise (or when counting fails) a conservative estimate. Results are cached by text.
 */

import { LruCache } from "../util/lruCache";
import { estimateTokens } from "../util/tokenEstimate";

export interface TokenCount {
  tokens: number;
  approximate: boolean;
}

export class TokenCounter {
  private readonly cache: LruCache<string, number>;

  /**
   * @param exact counts with the model's tokenizer; null when no model is loaded. Read on every call
   *              so loading a model later upgrades new counts to exact ones.
   */
  constructor(
    private readonly exact: () => ((text: string) => Promise<number>) | null,
    maxEntries = 256,
  ) {
    this.cache = new LruCache(maxEntries);
  }

  async count(text: string): Promise<TokenCount> {
    const counter = this.exact();
    if (!counter) {
      return { tokens: estimateTokens(text), approximate: true };
    }
    const cached = this.cache.get(text);
    if (cached !== undefined) {
      return { tokens: cached, approximate: false };
    }
    try {
      const tokens = await counter(text);
      this.cache.set(text, tokens);
      return { tokens, approximate: false };
    } catch {
      return { tokens: estimateTokens(text), approximate: true };
    }
  }

  /** Just the number (for budgeting). */
  readonly countTokens = async (text: string): Promise<number> => (await this.count(text)).tokens;

  /** Forget exact counts (e.g. another model with another tokenizer was loaded). */
  clear(): void {
    this.cache.clear();
  }
}
