import * as assert from "node:assert/strict";
import { CompletionCache } from "../../../src/core/completion/caching/completionCache";
import { LruCache } from "../../../src/core/util/lruCache";
import { acceptGhost, planSpeculation } from "../../../src/core/completion/caching/speculation";

describe("LRU cache", () => {
  it("evicts the least recently used entry; a get refreshes", () => {
    const lru = new LruCache<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    assert.equal(lru.get("a"), 1);
    lru.set("c", 3);
    assert.equal(lru.has("b"), false);
    assert.equal(lru.get("a"), 1);
    assert.equal(lru.get("c"), 3);
    assert.equal(lru.size, 2);
  });
  it("rejects a zero capacity", () => assert.throws(() => new LruCache(0), RangeError));
});

describe("completion cache", () => {
  const ghost = (text: string, replaceRight = 0) => ({ text, replaceRight });

  it("hits on the same (prefix, suffix), misses on another suffix", () => {
    const cache = new CompletionCache();
    cache.set("foo(", ")\n", ghost("a, b"));
    assert.deepEqual(cache.lookup("foo(", ")\n"), { kind: "hit", ghost: ghost("a, b"), typed: 0 });
    assert.deepEqual(cache.lookup("foo(", ");\n"), { kind: "miss" });
  });

  it("serves the rest of a suggestion while the user types it (typed-ahead)", () => {
    const cache = new CompletionCache();
    cache.set("let s = sum(", ");", ghost("xs, ys", 0));
    assert.deepEqual(cache.lookup("let s = sum(x", ");"), { kind: "hit", ghost: ghost("s, ys"), typed: 1 });
    assert.deepEqual(cache.lookup("let s = sum(xs, ", ");"), { kind: "hit", ghost: ghost("ys"), typed: 4 });
    assert.deepEqual(cache.lookup("let s = sum(q", ");"), { kind: "miss" }, "typed text differs from the suggestion");
    assert.deepEqual(cache.lookup("let s = sum(xs, ys", ");"), { kind: "miss" }, "nothing left to show");
  });

  it("typed-ahead works across a newline of a multi-line suggestion", () => {
    const cache = new CompletionCache();
    cache.set("f() {\n  ", "\n}", ghost("a();\n  b();"));
    assert.deepEqual(cache.lookup("f() {\n  a();\n  ", "\n}"), { kind: "hit", ghost: ghost("b();"), typed: 7 });
  });

  it("keeps replaceRight for the rest of the suggestion", () => {
    const cache = new CompletionCache();
    cache.set("log(", ")", ghost('"x");', 1));
    assert.deepEqual(cache.lookup('log("', ")"), { kind: "hit", ghost: ghost('x");', 1), typed: 1 });
  });

  it("walks back at most maxTypedAhead characters", () => {
    const cache = new CompletionCache({ maxTypedAhead: 3 });
    cache.set("x = ", "", ghost("abcdefgh"));
    assert.equal(cache.lookup("x = abc", "").kind, "hit");
    assert.equal(cache.lookup("x = abcd", "").kind, "miss");
  });

  it("remembers rejected outputs (null) without serving them as typed-ahead", () => {
    const cache = new CompletionCache();
    cache.set("a", "", null);
    assert.deepEqual(cache.lookup("a", ""), { kind: "hit", ghost: null, typed: 0 });
    assert.deepEqual(cache.lookup("ab", ""), { kind: "miss" });
  });

  it("is line-ending independent: CRLF documents hit LF entries and get LF text back", () => {
    const cache = new CompletionCache();
    cache.set("f() {\r\n  ", "\r\n}", ghost("a();\r\n  b();"));
    assert.deepEqual(cache.lookup("f() {\n  ", "\n}"), { kind: "hit", ghost: ghost("a();\n  b();"), typed: 0 });
    assert.equal(cache.has("f() {\r\n  ", "\r\n}"), true);
  });

  it("is bounded", () => {
    const cache = new CompletionCache({ maxEntries: 2 });
    cache.set("1", "", ghost("x"));
    cache.set("2", "", ghost("x"));
    cache.set("3", "", ghost("x"));
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup("1", "").kind, "miss");
  });
});

describe("speculation", () => {
  const ghost = { text: "a();\n  b();", replaceRight: 0 };
  const cache = { has: () => false };

  it("the state after accepting a suggestion", () => {
    assert.deepEqual(acceptGhost("f(", ")\nx", { text: "1);", replaceRight: 1 }), { prefix: "f(1);", suffix: "\nx" });
    assert.deepEqual(acceptGhost("a\r\n", "\r\nb", { text: "c\r\nd", replaceRight: 0 }), {
      prefix: "a\nc\nd",
      suffix: "\nb",
    });
  });

  it("runs for the position after the suggestion when idle and not cached", () => {
    assert.deepEqual(
      planSpeculation({ enabled: true, engineBusy: false, prefix: "f() {\n  ", suffix: "\n}", ghost, cache }),
      {
        run: true,
        prefix: "f() {\n  a();\n  b();",
        suffix: "\n}",
      },
    );
  });

  it("says why it does not run", () => {
    const base = { enabled: true, engineBusy: false, prefix: "p", suffix: "", ghost, cache };
    assert.deepEqual(planSpeculation({ ...base, enabled: false }), { run: false, reason: "disabled" });
    assert.deepEqual(planSpeculation({ ...base, ghost: null }), { run: false, reason: "noSuggestion" });
    assert.deepEqual(planSpeculation({ ...base, ghost: { text: "  ", replaceRight: 0 } }), {
      run: false,
      reason: "noSuggestion",
    });
    assert.deepEqual(planSpeculation({ ...base, engineBusy: true }), { run: false, reason: "busy" });
    assert.deepEqual(planSpeculation({ ...base, cache: { has: () => true } }), { run: false, reason: "cached" });
    assert.deepEqual(planSpeculation({ ...base, suffix: " + rest" }), { run: false, reason: "cursorBeforeText" });
  });
});
