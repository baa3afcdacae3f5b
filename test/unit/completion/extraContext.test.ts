import * as assert from "node:assert/strict";
import {
  ExtraContextRing,
  chunkAround,
  lineSimilarity,
  type ContextChunk,
} from "../../../src/core/completion/context/extraContextRing";
import { selectChunks } from "../../../src/core/completion/context/selectChunks";
import { copiedChunk, MAX_COPIED_CHARS } from "../../../src/core/completion/context/copiedChunk";

const text = (tag: string, n = 5) => Array.from({ length: n }, (_, i) => `${tag} line ${i}`).join("\n");
const chunk = (tag: string, uri = `file:///${tag}.ts`, n = 5): ContextChunk => ({
  uri,
  path: `${tag}.ts`,
  text: text(tag, n),
});

describe("extra context ring", () => {
  it("queued chunks enter the ring only when promoted (while idle), oldest first", () => {
    const ring = new ExtraContextRing();
    assert.equal(ring.enqueue(chunk("a")), true);
    assert.equal(ring.enqueue(chunk("b")), true);
    assert.equal(ring.chunks.length, 0);
    assert.equal(ring.version, 0);
    assert.equal(ring.promote(), true);
    assert.deepEqual(
      ring.chunks.map((c) => c.path),
      ["a.ts"],
    );
    assert.equal(ring.version, 1);
    ring.promote();
    assert.equal(ring.promote(), false);
    assert.deepEqual(
      ring.chunks.map((c) => c.path),
      ["a.ts", "b.ts"],
    );
    assert.equal(ring.version, 2);
  });

  it("is bounded: the oldest chunk leaves", () => {
    const ring = new ExtraContextRing({ maxChunks: 2 });
    for (const t of ["a", "b", "c"]) {
      ring.enqueue(chunk(t));
      ring.promote();
    }
    assert.deepEqual(
      ring.chunks.map((c) => c.path),
      ["b.ts", "c.ts"],
    );
  });

  it("bounds the queue too", () => {
    const ring = new ExtraContextRing({ maxQueued: 2 });
    for (const t of ["a", "b", "c"]) ring.enqueue(chunk(t));
    assert.equal(ring.queued, 2);
    ring.promote();
    assert.equal(ring.chunks[0].path, "b.ts");
  });

  it("refuses exact duplicates and tiny chunks", () => {
    const ring = new ExtraContextRing();
    ring.enqueue(chunk("a"));
    assert.equal(ring.enqueue(chunk("a")), false, "duplicate of a queued chunk");
    ring.promote();
    assert.equal(ring.enqueue(chunk("a")), false, "duplicate of a ring chunk");
    assert.equal(ring.enqueue({ uri: "x", path: "x", text: "one\n\n" }), false);
  });

  it("a similar chunk (the same region after an edit) replaces the old one", () => {
    const ring = new ExtraContextRing({ similarity: 0.8 });
    const original = chunk("a", "file:///a.ts", 20);
    ring.enqueue(original);
    ring.enqueue(chunk("b"));
    ring.promote();
    ring.promote();
    const edited = { ...original, text: original.text.replace("a line 3", "a line three") };
    ring.enqueue(edited);
    ring.promote();
    assert.deepEqual(
      ring.chunks.map((c) => c.text),
      [text("b"), edited.text],
    );
  });

  it("drops a closed document's chunks", () => {
    const ring = new ExtraContextRing();
    ring.enqueue(chunk("a"));
    ring.enqueue(chunk("b"));
    ring.promote();
    ring.removeUri("file:///a.ts");
    ring.removeUri("file:///b.ts");
    assert.equal(ring.chunks.length, 0);
    assert.equal(ring.queued, 0);
    assert.equal(ring.version, 2);
  });

  it("line similarity", () => {
    assert.equal(lineSimilarity("a\nb\nc", "a\nb\nc"), 1);
    assert.equal(lineSimilarity("a\nb", "c\nd"), 0);
    assert.equal(lineSimilarity("a\nb\nc\nd", "a\nb\nx\ny"), 0.5);
  });

  it("chunkAround stays inside the document", () => {
    const doc = Array.from({ length: 100 }, (_, i) => `l${i}`);
    assert.equal(chunkAround(doc, 0, 10), doc.slice(0, 10).join("\n"));
    assert.equal(chunkAround(doc, 50, 10), doc.slice(45, 55).join("\n"));
    assert.equal(chunkAround(doc, 99, 10), doc.slice(90, 100).join("\n"));
    assert.equal(chunkAround(doc.slice(0, 3), 1, 10), "l0\nl1\nl2");
  });
});

describe("chunk selection", () => {
  const chars = (t: string) => t.length;
  const chunks = [chunk("a"), chunk("b"), chunk("c")];
  const cost = (c: ContextChunk) => c.path.length + c.text.length + 2;

  it("newest chunks win the budget; the prompt keeps ring order", () => {
    const picked = selectChunks({
      chunks,
      budgetTokens: cost(chunks[1]) + cost(chunks[2]),
      uri: "file:///z.ts",
      windowText: "",
      countTokens: chars,
    });
    assert.deepEqual(
      picked.map((c) => c.path),
      ["b.ts", "c.ts"],
    );
  });

  it("drops a chunk of the current file that the window already holds", () => {
    const own = chunk("z", "file:///z.ts");
    const picked = selectChunks({
      chunks: [...chunks, own],
      budgetTokens: 10_000,
      uri: own.uri,
      windowText: "before\n" + own.text + "\nafter",
      countTokens: chars,
    });
    assert.deepEqual(
      picked.map((c) => c.path),
      ["a.ts", "b.ts", "c.ts"],
    );
  });

  it("a zero budget selects nothing", () => {
    assert.deepEqual(selectChunks({ chunks, budgetTokens: 0, uri: "u", windowText: "" }), []);
  });
});

describe("copiedChunk: what the user copied becomes context", () => {
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
  const docs = [
    { uri: "file:///a.ts", path: "a.ts", text: "const a = 1;\n" },
    { uri: "file:///b.ts", path: "b.ts", text: lines.join("\r\n") },
  ];

  it("finds the copied lines in an open document (CRLF there, LF in the clipboard) and takes the lines around them", () => {
    const chunk = copiedChunk("line 100\nline 101\nline 102", docs, 10);
    assert.ok(chunk);
    assert.equal(chunk.path, "b.ts");
    assert.equal(chunk.uri, "file:///b.ts");
    assert.equal(chunk.source, "copy");
    assert.deepEqual(chunk.text.split("\n"), lines.slice(96, 106));
  });

  it("near the end of a file the chunk still has its full size", () => {
    const chunk = copiedChunk("line 199", docs, 10);
    assert.deepEqual(chunk?.text.split("\n"), lines.slice(190, 200));
  });

  it("text from elsewhere (a browser) is kept as it is, cut to the chunk size, under the path 'clipboard'", () => {
    const copied = Array.from({ length: 30 }, (_, i) => `fn${i}()`).join("\n");
    const chunk = copiedChunk(copied, docs, 10);
    assert.equal(chunk?.path, "clipboard");
    assert.deepEqual(chunk?.text.split("\n"), copied.split("\n").slice(0, 10));
  });

  it("ignores an empty or whitespace clipboard and one too large to be code being worked on", () => {
    assert.equal(copiedChunk("  \n\t", docs), null);
    assert.equal(copiedChunk("x".repeat(MAX_COPIED_CHARS + 1), docs), null);
  });
});
