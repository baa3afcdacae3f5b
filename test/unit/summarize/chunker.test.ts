import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  boundaryScores,
  chunkText,
  splitLines,
  type Chunk,
  type TokenCountFn,
} from "../../../src/core/summarize/chunker";
import { corpusFiles, countBytes, countWords, repoRoot } from "./helpers";

/** Checks what must hold for every chunking: exact cover, budget, line numbers, exact counts. */
function assertValidChunking(
  input: string,
  chunks: readonly Chunk[],
  maxTokens: number,
  count: (text: string) => number,
  name = "input",
): void {
  assert.equal(chunks.map((c) => c.text).join(""), input, `${name}: the chunks do not give back the input`);
  let offset = 0;
  const lineStarts = [0, ...[...input.matchAll(/\n/g)].map((m) => m.index! + 1)];
  const lineOf = (at: number) => lineStarts.filter((s) => s <= at).length;
  for (const [i, chunk] of chunks.entries()) {
    assert.ok(chunk.text.length > 0, `${name}: chunk ${i} is empty`);
    assert.equal(chunk.start, offset, `${name}: chunk ${i} does not start where the last ended`);
    assert.equal(chunk.end, chunk.start + chunk.text.length);
    assert.equal(chunk.tokens, count(chunk.text), `${name}: chunk ${i} token count`);
    assert.ok(chunk.tokens <= maxTokens, `${name}: chunk ${i} has ${chunk.tokens} tokens, budget ${maxTokens}`);
    assert.equal(chunk.startLine, lineOf(chunk.start), `${name}: chunk ${i} startLine`);
    assert.equal(chunk.endLine, lineOf(chunk.end - 1), `${name}: chunk ${i} endLine`);
    offset = chunk.end;
  }
  assert.equal(offset, input.length);
}

/** Line index a cut falls before, or -1 when it is inside a line. */
function lineIndexAt(input: string, cut: number): number {
  if (cut > 0 && input[cut - 1] !== "\n") {
    return -1;
  }
  return input.slice(0, cut).split("\n").length - 1;
}

function cuts(chunks: readonly Chunk[]): number[] {
  return chunks.slice(1).map((c) => c.start);
}

describe("summarize chunker", () => {
  describe("boundaryScores", () => {
    it("ranks a top-level declaration after a blank line above a blank line inside a body, and cuts before closers lowest", () => {
      const lines = splitLines(
        [
          "import { a } from 'a';", // 0
          "", // 1
          "export function f() {", // 2
          "  const x = 1;", // 3
          "", // 4
          "  return x;", // 5
          "}", // 6
          "class C {", // 7
          "  m() {}", // 8
          "", // 9
          "  n() {}", // 10
          "}", // 11
        ].join("\n"),
      );
      const s = boundaryScores(lines);
      assert.equal(s[0], 0);
      assert.equal(s[1], 1, "a cut before a blank line is weak");
      assert.equal(s[2], 5, "top-level declaration after a blank line");
      assert.equal(s[5], 4, "after a blank line, one level deep");
      assert.equal(s[6], 1, "before a closing brace");
      assert.equal(s[7], 4, "top-level line right after a closing brace");
      assert.equal(s[10], 4, "method after a blank line");
      assert.ok(s[2]! > s[5]! && s[5]! > s[3]!);
    });

    it("treats the selection's own indentation as its top level", () => {
      const s = boundaryScores(splitLines("    a();\n\n    b();\n        c();\n"));
      assert.equal(s[2], 5);
      assert.equal(s[3], 2, "a deeper line without a blank before it");
    });

    it("does not favour cuts before continuation lines", () => {
      const s = boundaryScores(splitLines("const x = foo\n\n  .bar()\n  && baz;\n"));
      assert.equal(s[2], 1);
      assert.equal(s[3], 1);
    });
  });

  describe("chunkText", () => {
    it("returns one chunk with its exact count when everything fits, and nothing for empty text", async () => {
      assert.deepEqual(await chunkText("", { maxTokens: 10, count: countBytes }), []);
      const chunks = await chunkText("abc\ndef\n", { maxTokens: 100, count: countBytes });
      assert.deepEqual(chunks, [{ text: "abc\ndef\n", start: 0, end: 8, startLine: 1, endLine: 2, tokens: 8 }]);
    });

    it("rejects a budget too small to make progress", async () => {
      await assert.rejects(chunkText("abc", { maxTokens: 3, count: countBytes }), RangeError);
    });

    it("cuts between functions, not inside them", async () => {
      const fn = (name: string) => `function ${name}() {\n  const a = 1;\n\n  const b = 2;\n  return a + b;\n}\n\n`;
      const input = ["alpha", "beta", "gamma", "delta"].map(fn).join("");
      const one = countBytes(fn("alpha"));
      // Room for one and a half functions: the blank line inside each body is a tempting cut.
      const chunks = await chunkText(input, { maxTokens: Math.floor(one * 1.5), count: countBytes });
      assertValidChunking(input, chunks, Math.floor(one * 1.5), countBytes);
      assert.deepEqual(
        chunks.map((c) => c.text),
        ["alpha", "beta", "gamma", "delta"].map(fn),
      );
    });

    it("keeps a doc comment with the declaration it documents", async () => {
      const block = (i: number) => `/**\n * Doc ${i}.\n */\nexport const v${i} = ${i};\n\n`;
      const input = Array.from({ length: 12 }, (_, i) => block(i)).join("");
      const chunks = await chunkText(input, { maxTokens: 100, count: countBytes });
      assertValidChunking(input, chunks, 100, countBytes);
      for (const chunk of chunks) {
        assert.match(chunk.text, /^\/\*\*\n/, "every chunk starts at a doc comment");
      }
    });

    it("cuts Python at top-level defs and methods", async () => {
      const method = (i: number) => `    def m${i}(self, x):\n        y = x * ${i}\n        return y\n\n`;
      const input = `class K:\n${Array.from({ length: 8 }, (_, i) => method(i)).join("")}\ndef top():\n    return K()\n`;
      const chunks = await chunkText(input, { maxTokens: 120, count: countBytes });
      assertValidChunking(input, chunks, 120, countBytes);
      for (const chunk of chunks.slice(1)) {
        assert.match(chunk.text, /^( {4})?def /, `a chunk starts inside a function:\n${chunk.text}`);
      }
    });

    it("cuts after top-level closing braces when there are no blank lines", async () => {
      const input = Array.from({ length: 10 }, (_, i) => `fn f${i}() {\n    let x = ${i};\n    x + 1\n}\n`).join("");
      const chunks = await chunkText(input, { maxTokens: 90, count: countBytes });
      assertValidChunking(input, chunks, 90, countBytes);
      for (const chunk of chunks) {
        assert.match(chunk.text, /^fn f\d+\(\) \{\n[\s\S]*\}\n$/);
      }
    });

    it("splits one over-long line inside it, at spaces when it has them", async () => {
      const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
      const input = `short line\n${words}\nlast line\n`;
      const chunks = await chunkText(input, { maxTokens: 200, count: countBytes });
      assertValidChunking(input, chunks, 200, countBytes);
      for (const cut of cuts(chunks)) {
        const atLineStart = input[cut - 1] === "\n";
        assert.ok(atLineStart || input[cut - 1] === " ", `cut inside a word at ${cut}`);
      }
    });

    it("never splits a surrogate pair and keeps CRLF line breaks whole", async () => {
      const emoji = "😀🚀".repeat(300);
      const crlf = Array.from({ length: 60 }, (_, i) => `line ${i} of windows text`).join("\r\n");
      for (const input of [emoji, `${crlf}\r\n`]) {
        const chunks = await chunkText(input, { maxTokens: 64, count: countBytes });
        assertValidChunking(input, chunks, 64, countBytes);
        for (const cut of cuts(chunks)) {
          const code = input.charCodeAt(cut);
          assert.ok(!(code >= 0xdc00 && code <= 0xdfff), `cut between a surrogate pair at ${cut}`);
          assert.notEqual(input[cut - 1], "\r", "cut between \\r and \\n");
        }
      }
    });

    it("repacks when the text is denser than the whole-input estimate", async () => {
      // The first half is plain ASCII, the second CJK (3 bytes a character): the per-character
      // estimate from the whole text is far too low for the second half.
      const input = `${"abc def\n".repeat(200)}${"漢字漢字漢字\n".repeat(200)}`;
      const chunks = await chunkText(input, { maxTokens: 300, count: countBytes });
      assertValidChunking(input, chunks, 300, countBytes);
      for (const cut of cuts(chunks)) {
        assert.equal(input[cut - 1], "\n");
      }
    });

    it("works with an asynchronous, non-additive counter", async () => {
      const input = fs.readFileSync(path.join(repoRoot, "src/core/protocol/workerProtocol.ts"), "utf8");
      const calls: string[] = [];
      const count: TokenCountFn = async (text) => {
        calls.push(text);
        await new Promise((r) => setImmediate(r));
        return countWords(text);
      };
      const chunks = await chunkText(input, { maxTokens: 150, count });
      assertValidChunking(input, chunks, 150, countWords);
      assert.ok(chunks.length >= 5);
      // One count of the whole input, then about one per chunk: not one per line.
      assert.ok(calls.length <= 1 + chunks.length * 2, `${calls.length} count calls for ${chunks.length} chunks`);
    });

    it("stops counting when the signal is aborted", async () => {
      const input = "x = 1;\n".repeat(500);
      const before = new AbortController();
      before.abort();
      let counted = 0;
      await assert.rejects(
        chunkText(input, { maxTokens: 50, count: (t) => (counted++, countBytes(t)), signal: before.signal }),
        { name: "AbortError" },
      );
      assert.equal(counted, 0);

      const during = new AbortController();
      counted = 0;
      const count = (text: string) => {
        if (++counted === 3) {
          during.abort();
        }
        return countBytes(text);
      };
      await assert.rejects(chunkText(input, { maxTokens: 50, count, signal: during.signal }), { name: "AbortError" });
      assert.equal(counted, 3, "no count after the abort");
    });
  });

  describe("on a corpus of real source files", function () {
    this.timeout(60_000);
    const files = corpusFiles();

    it("finds the corpus", () => {
      assert.ok(files.length >= 30, `only ${files.length} files`);
      assert.ok(files.some((f) => f.endsWith("lib.es5.d.ts")) && files.some((f) => f.endsWith(".min.js")));
    });

    const configurations: { name: string; count: (text: string) => number; maxTokens: number }[] = [
      { name: "words, 200 tokens", count: countWords, maxTokens: 200 },
      { name: "words, 1000 tokens", count: countWords, maxTokens: 1000 },
      { name: "bytes, 1500 tokens", count: countBytes, maxTokens: 1500 },
    ];
    for (const config of configurations) {
      it(`covers every file exactly, within budget, cutting inside a line only when that line is over budget (${config.name})`, async () => {
        let chunkCount = 0;
        for (const file of files) {
          const input = fs.readFileSync(file, "utf8");
          const chunks = await chunkText(input, { maxTokens: config.maxTokens, count: config.count });
          const name = path.relative(repoRoot, file);
          assertValidChunking(input, chunks, config.maxTokens, config.count, name);
          chunkCount += chunks.length;
          for (const cut of cuts(chunks)) {
            if (lineIndexAt(input, cut) === -1) {
              const lineStart = input.lastIndexOf("\n", cut - 1) + 1;
              const lineEnd = input.indexOf("\n", cut);
              const line = input.slice(lineStart, lineEnd === -1 ? input.length : lineEnd + 1);
              assert.ok(
                config.count(line) > config.maxTokens,
                `${name}: cut inside a line of ${config.count(line)} tokens at ${cut}`,
              );
            }
          }
        }
        assert.ok(chunkCount > files.length, "the corpus must actually need splitting");
      });
    }

    it("cuts on structure: mostly at blank lines and top-level boundaries, far more often than packing lines greedily", async () => {
      const maxTokens = 400;
      let ours = 0;
      let oursGood = 0;
      let greedy = 0;
      let greedyGood = 0;
      for (const file of files.filter((f) => !f.endsWith(".min.js"))) {
        const input = fs.readFileSync(file, "utf8");
        const scores = boundaryScores(splitLines(input));
        for (const cut of cuts(await chunkText(input, { maxTokens, count: countWords }))) {
          const line = lineIndexAt(input, cut);
          ours++;
          if (line >= 0 && scores[line]! >= 3) {
            oursGood++;
          }
        }
        // Baseline: fill each chunk line by line up to the budget, ignoring structure.
        let size = 0;
        const lines = splitLines(input);
        for (let i = 0; i < lines.length; i++) {
          const t = countWords(lines[i]!);
          if (size > 0 && size + t > maxTokens) {
            greedy++;
            if (scores[i]! >= 3) {
              greedyGood++;
            }
            size = 0;
          }
          size += t;
        }
      }
      const share = oursGood / ours;
      const baseline = greedyGood / greedy;
      assert.ok(ours > 100, `only ${ours} cuts`);
      assert.ok(
        share >= 0.8,
        `only ${(share * 100).toFixed(1)}% of ${ours} cuts are at a blank line or a top-level boundary`,
      );
      assert.ok(
        share > baseline + 0.3,
        `structure-aware ${(share * 100).toFixed(1)}% vs greedy ${(baseline * 100).toFixed(1)}%`,
      );
    });
  });
});
