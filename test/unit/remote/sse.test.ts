import * as assert from "node:assert/strict";
import { SseLimitError, SseParser, type SseEvent } from "../../../src/core/remote/sse";

/** Every way of cutting `text` into two pieces, and into single characters. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

function parseAll(pieces: readonly string[]): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = pieces.flatMap((p) => parser.push(p));
  return { events, parser };
}

const data = (...items: string[]) => items.map((d) => ({ event: "message", data: d, id: null }));

describe("SSE parser", () => {
  const cases: { name: string; stream: string; events: SseEvent[] }[] = [
    { name: "one event, LF", stream: 'data: {"a":1}\n\n', events: data('{"a":1}') },
    { name: "CRLF line ends", stream: "data: x\r\n\r\ndata: y\r\n\r\n", events: data("x", "y") },
    { name: "CR-only line ends", stream: "data: x\r\rdata: y\r\r", events: data("x", "y") },
    { name: "[DONE] is an ordinary data line", stream: "data: a\n\ndata: [DONE]\n\n", events: data("a", "[DONE]") },
    { name: "comments (keep-alive pings) are skipped", stream: ":\n\n: ping\ndata: a\n\n", events: data("a") },
    { name: "multi-line data joins with LF", stream: "data: a\ndata: b\n\n", events: data("a\nb") },
    { name: "no space after the colon", stream: "data:a\n\n", events: data("a") },
    { name: "only the first space is stripped", stream: "data:  a\n\n", events: data(" a") },
    { name: "empty data line makes an empty event", stream: "data\n\n", events: data("") },
    {
      name: "event and id fields",
      stream: "event: error\nid: 7\ndata: x\n\n",
      events: [{ event: "error", data: "x", id: "7" }],
    },
    { name: "unknown fields and retry are ignored", stream: "retry: 10\nfoo: bar\ndata: x\n\n", events: data("x") },
    { name: "blank lines without data dispatch nothing", stream: "\n\n\nevent: x\n\ndata: y\n\n", events: data("y") },
    { name: "unicode payload", stream: 'data: {"t":"é ✓ 🙂"}\n\n', events: data('{"t":"é ✓ 🙂"}') },
  ];
  for (const c of cases)
    it(`${c.name}, however the text is split`, () => {
      for (const pieces of splits(c.stream))
        assert.deepEqual(parseAll(pieces).events, c.events, JSON.stringify(pieces));
    });

  it("a CR at the end of one piece and LF at the start of the next are one line end", () => {
    const { events } = parseAll(["data: a\r", "\n\r", "\ndata: b\r\n\r\n"]);
    assert.deepEqual(events, data("a", "b"));
  });

  it("drops an event cut off by the end of the stream and says so", () => {
    const { events, parser } = parseAll(["data: a\n\ndata: b"]);
    assert.deepEqual(events, data("a"));
    assert.deepEqual(parser.end(), { unterminated: true });
  });

  it("a stream that ends on an event boundary is not unterminated", () => {
    const { parser } = parseAll(["data: a\n\n"]);
    assert.deepEqual(parser.end(), { unterminated: false });
  });

  it("counts comment lines (pings are activity, not data)", () => {
    const { parser } = parseAll([":\n\n:\n\ndata: x\n\n"]);
    assert.equal(parser.comments, 2);
  });
});

describe("SSE parser bounds (issue #16)", () => {
  it("a line with no newline stops at the cap, however it is split", () => {
    const parser = new SseParser({ maxLineChars: 1000 });
    for (let i = 0; i < 9; i++) parser.push("x".repeat(100));
    assert.throws(() => parser.push("y".repeat(200)), SseLimitError);
    // At the cap exactly it is still a line.
    const ok = new SseParser({ maxLineChars: 1000 });
    const data = "d".repeat(994);
    assert.deepEqual(ok.push(`data: ${data.slice(0, 500)}`), []);
    assert.deepEqual(ok.push(`${data.slice(500)}\n\n`), [{ event: "message", data, id: null }]);
  });

  it("an event of many data lines stops at the event cap", () => {
    const parser = new SseParser({ maxEventChars: 1000 });
    assert.throws(() => {
      for (let i = 0; i < 100; i++) parser.push(`data: ${"z".repeat(50)}\n`);
    }, SseLimitError);
  });

  it("a long line in many small pieces parses whole (each piece scanned once)", () => {
    const parser = new SseParser();
    const big = "q".repeat(600_000);
    const events = [];
    for (let at = 0; at < big.length; at += 1000)
      events.push(...parser.push(`${at === 0 ? "data: " : ""}${big.slice(at, at + 1000)}`));
    events.push(...parser.push("\r"), ...parser.push("\n\r\n"));
    assert.equal(events.length, 1);
    assert.equal(events[0].data.length, big.length);
    assert.deepEqual(parser.end(), { unterminated: false });
  });
});
