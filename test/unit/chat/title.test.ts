import * as assert from "node:assert/strict";
import { cleanTitle, makeTitle } from "../../../src/core/chat/title";
import { fenceFor, formatQuestion, formatQuestionCompact, truncateMiddle } from "../../../src/core/chat/promptFormat";
import { item } from "./helpers";

describe("chat titles", () => {
  it("uses the first non-empty line, without markdown", () => {
    assert.equal(makeTitle("\n\n  Why does `useEffect` run **twice**?\nMore details"), "Why does useEffect run twice?");
  });

  it("skips code fences, even unterminated ones", () => {
    assert.equal(makeTitle("```ts\nconst a = 1;\n```\nExplain this code"), "Explain this code");
    assert.equal(makeTitle("```ts\nconst a = 1;"), "New chat");
  });

  it("cuts long questions on a word boundary with an ellipsis", () => {
    const title = makeTitle("Please explain in detail how the garbage collector in the V8 engine decides when to run");
    assert.ok(title.length <= 48, title);
    assert.ok(title.endsWith("…"));
    assert.ok(!title.includes("  "));
    assert.ok("Please explain in detail how the garbage collector".startsWith(title.slice(0, -1)), title);
  });

  it("falls back to New chat and strips control characters", () => {
    assert.equal(makeTitle("   "), "New chat");
    assert.equal(cleanTitle("a\u0000b\tc"), "a b c");
    assert.equal(cleanTitle("   "), "New chat");
  });
});

describe("chat prompt format", () => {
  it("chooses a fence longer than any backtick run in the content", () => {
    assert.equal(fenceFor("no ticks"), "```");
    assert.equal(fenceFor("a ```` b"), "`````");
  });

  it("puts attached context before the question, with path and lines", () => {
    const text = formatQuestion("What does this do?", [item({ content: "x = 1" })]);
    assert.match(text, /^Selection from src\/a\.ts \(lines 1-2\):\n```typescript\nx = 1\n```\n\nWhat does this do\?$/);
    assert.equal(formatQuestion("plain", []), "plain");
    assert.match(
      formatQuestionCompact("q", [item()]),
      /^\(Attached earlier, not repeated here: Selection from src\/a\.ts \(lines 1-2\)\)\n\nq$/,
    );
  });

  it("truncateMiddle keeps head and tail within the limit", () => {
    const text = "A".repeat(500) + "Z".repeat(500);
    const cut = truncateMiddle(text, 200);
    assert.ok(cut.length <= 200, String(cut.length));
    assert.ok(cut.startsWith("AAA") && cut.endsWith("ZZZ"));
    assert.match(cut, /characters omitted/);
    assert.equal(truncateMiddle("short", 200), "short");
  });
});
