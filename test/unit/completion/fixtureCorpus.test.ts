import * as assert from "node:assert/strict";
import { postprocessCompletion } from "../../../src/core/completion/postprocessing/postprocess";
import { loadFixtures, parseFixture } from "./helpers/fixtures";

describe("completion post-processing fixture corpus", () => {
  const fixtures = loadFixtures();

  it("has a real corpus: 80+ cases over many languages, with CRLF and tabs", () => {
    assert.ok(fixtures.length >= 80, `only ${fixtures.length} fixtures`);
    const languages = [
      "typescript",
      "javascript",
      "typescriptreact",
      "python",
      "go",
      "rust",
      "java",
      "csharp",
      "kotlin",
      "ruby",
      "lua",
      "php",
      "sql",
      "html",
      "yaml",
      "markdown",
      "shellscript",
      "elixir",
      "julia",
      "c",
      "json",
    ];
    for (const lang of languages) {
      assert.ok(
        fixtures.some((f) => f.languageId === lang),
        `no ${lang} fixture`,
      );
    }
    assert.ok(
      fixtures.some((f) => f.eol === "\r\n"),
      "no CRLF fixture",
    );
    assert.ok(
      fixtures.some((f) => f.indent.useTabs),
      "no tab fixture",
    );
    assert.ok(
      fixtures.some((f) => f.expected.kind === "rejected"),
      "no rejected fixture",
    );
  });

  it("parses CRLF documents into CRLF halves", () => {
    const f = parseFixture(
      "x.txt",
      "# t\nlanguage: c\neol: crlf\n=== code\na\n<CURSOR>\nb\n=== raw\nx\n=== expect\nx\ny\n",
    );
    assert.equal(f.prefix, "a\r\n");
    assert.equal(f.suffix, "\r\nb");
    assert.deepEqual(f.expected, { kind: "ghost", text: "x\r\ny", replaceRight: 0 });
  });

  for (const fixture of fixtures) {
    it(`${fixture.file}: ${fixture.title}`, () => {
      const result = postprocessCompletion(fixture.raw, {
        prefix: fixture.prefix,
        suffix: fixture.suffix,
        languageId: fixture.languageId,
        eol: fixture.eol,
        indent: fixture.indent,
        maxLines: fixture.maxLines,
        maxChars: fixture.maxChars,
      });
      if (fixture.expected.kind === "rejected") {
        assert.equal(result.kind, "rejected", `expected a rejection, got ${JSON.stringify(result)}`);
        if (fixture.expected.reason && result.kind === "rejected") assert.equal(result.reason, fixture.expected.reason);
      } else {
        assert.equal(result.kind, "ghost", `expected ghost text, got ${JSON.stringify(result)}`);
        if (result.kind !== "ghost") return;
        assert.equal(JSON.stringify(result.ghost.text), JSON.stringify(fixture.expected.text));
        assert.equal(result.ghost.replaceRight, fixture.expected.replaceRight);
      }
    });
  }
});
