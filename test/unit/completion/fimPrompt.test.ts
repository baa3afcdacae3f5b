import * as assert from "node:assert/strict";
import {
  buildFimPrompt,
  CHUNK_SEPARATOR,
  psmTailLines,
  renderSegments,
  type FimPromptInput,
} from "../../../src/core/completion/templating/fimPrompt";
import { buildGenerateBody } from "../../../src/core/completion/generation/request";
import { GenerateRequestBodySchema, type PromptSegment } from "../../../src/core/protocol/workerProtocol";
import type { FimLayout } from "../../../src/core/completion/settings";

const QWEN = { fimPrefix: true, fimSuffix: true, fimMiddle: true, fileSeparator: true, repoName: true, eos: true };
const CODELLAMA = {
  fimPrefix: true,
  fimSuffix: true,
  fimMiddle: true,
  fileSeparator: false,
  repoName: false,
  eos: true,
};

function render(input: Partial<FimPromptInput> & Pick<FimPromptInput, "prefix" | "suffix">): string {
  const r = buildFimPrompt({ layout: "psm", specialTokens: QWEN, ...input });
  assert.ok(r.ok);
  return renderSegments(r.segments);
}

/** Length of the common start of two prompts: what the KV cache can reuse. */
function commonStart(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

describe("FIM prompt layouts", () => {
  const prefix = "function f() {\n  const x = 1;\n  ret";
  const suffix = "\n}\n";

  it("psm: PRE prefix SUF suffix MID", () => {
    assert.equal(render({ layout: "psm", prefix, suffix }), `<fimPrefix>${prefix}<fimSuffix>${suffix}<fimMiddle>`);
  });

  it("psmTail: the cursor line's text goes after MID", () => {
    assert.equal(
      render({ layout: "psmTail", prefix, suffix }),
      "<fimPrefix>function f() {\n  const x = 1;\n<fimSuffix>\n}\n<fimMiddle>  ret",
    );
  });

  it("spm: SUF suffix PRE prefix MID", () => {
    assert.equal(render({ layout: "spm", prefix, suffix }), `<fimSuffix>${suffix}<fimPrefix>${prefix}<fimMiddle>`);
  });

  it("puts repo name, other files and the file header first (Qwen2.5-Coder repo format)", () => {
    const text = render({
      layout: "psmTail",
      prefix: "x",
      suffix: "",
      repoName: "demo",
      filePath: "src/a.ts",
      extraChunks: [{ path: "src/b.ts", text: "export const b = 1;" }],
    });
    assert.equal(
      text,
      "<repoName>demo\n<fileSeparator>src/b.ts\nexport const b = 1;\n<fileSeparator>src/a.ts\n<fimPrefix><fimSuffix><fimMiddle>x",
    );
  });

  it("without a file-separator token, chunks are separated by text and there is no file header", () => {
    const text = render({
      specialTokens: CODELLAMA,
      prefix: "p",
      suffix: "s",
      filePath: "a.c",
      repoName: "demo",
      extraChunks: [{ path: "b.c", text: "int b;" }],
    });
    assert.equal(text, `${CHUNK_SEPARATOR}int b;\n<fimPrefix>p<fimSuffix>s<fimMiddle>`);
  });

  it("a model without FIM tokens gets a typed error naming what is missing", () => {
    const r = buildFimPrompt({
      layout: "psm",
      prefix: "a",
      suffix: "b",
      specialTokens: { eos: true, fimPrefix: true },
    });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error, "fimUnsupported");
    assert.deepEqual(r.missing, ["fimSuffix", "fimMiddle"]);
    assert.match(r.message, /fill-in-the-middle/);
  });

  it("merges adjacent text and leaves out empty text, and the request passes the protocol schema", () => {
    const r = buildFimPrompt({ layout: "psmTail", prefix: "abc", suffix: "", specialTokens: QWEN, filePath: "a.ts" });
    assert.ok(r.ok);
    for (let i = 1; i < r.segments.length; i++) assert.ok(!("text" in r.segments[i] && "text" in r.segments[i - 1]));
    assert.ok(r.segments.every((s: PromptSegment) => !("text" in s) || s.text.length > 0));
    const body = GenerateRequestBodySchema.parse(
      buildGenerateBody(r.segments, "singleLine", { maxTokens: 64, timeBudgetMs: 1000 }),
    );
    assert.equal(body.kind, "segments");
    assert.equal(body.temperature, 0);
    assert.ok(body.stop?.includes("\n"));
    const multi = GenerateRequestBodySchema.parse(
      buildGenerateBody(r.segments, "multiLine", { maxTokens: 64, timeBudgetMs: 1000 }),
    );
    assert.ok(!multi.stop?.includes("\n"));
  });

  describe("what a keystroke changes (the KV cache reuses only the common start)", () => {
    const above = "import { x } from './x';\n\nfunction f() {\n  const a = 1;\n";
    const below = "\n  return a;\n}\n";
    const prompt = (layout: FimLayout, cursorLine: string) =>
      render({ layout, prefix: above + cursorLine, suffix: below, filePath: "a.ts" });

    it("psm: typing one character re-evaluates the whole suffix", () => {
      const before = prompt("psm", "  const b");
      const after = prompt("psm", "  const b ");
      assert.ok(after.length - commonStart(before, after) > below.length);
    });

    it("psmTail: typing one character changes only the text after MID", () => {
      const before = prompt("psmTail", "  const b");
      const after = prompt("psmTail", "  const b ");
      const mid = before.indexOf("<fimMiddle>") + "<fimMiddle>".length;
      assert.ok(commonStart(before, after) >= mid);
      assert.equal(after.length - commonStart(before, after), 1);
    });

    it("psmTail with tailLines: the lines from the anchor line to the cursor go after MID", () => {
      const text = render({ layout: "psmTail", prefix: above + "  const b = 2;\n  ret", suffix: below, tailLines: 3 });
      assert.equal(
        text,
        "<fimPrefix>import { x } from './x';\n\nfunction f() {\n<fimSuffix>" +
          below +
          "<fimMiddle>  const a = 1;\n  const b = 2;\n  ret",
      );
      // More lines than the prefix has: all of it goes after MID.
      assert.equal(
        render({ layout: "psmTail", prefix: "a\nb", suffix: "", tailLines: 5 }),
        "<fimPrefix><fimSuffix><fimMiddle>a\nb",
      );
      assert.equal(
        render({ layout: "psmTail", prefix: "\nb", suffix: "", tailLines: 3 }),
        "<fimPrefix><fimSuffix><fimMiddle>\nb",
      );
    });

    it("psmTailLines counts back to the last line whose number is a multiple of the anchor", () => {
      assert.deepEqual(
        [0, 1, 7, 15, 16, 17, 31, 32].map((line) => psmTailLines(line, 16)),
        [1, 2, 8, 16, 1, 2, 16, 1],
      );
      assert.deepEqual(
        [0, 5, 99].map((line) => psmTailLines(line, 1)),
        [1, 1, 1],
      );
    });

    it("psmTail with an anchor: a new line re-evaluates only its own text, until the anchor line moves", () => {
      // Document lines 0..4 above the cursor line 5 (anchor 16: the cut stays at line 0).
      const at = (prefix: string) =>
        render({
          layout: "psmTail",
          prefix,
          suffix: below,
          filePath: "a.ts",
          tailLines: psmTailLines(prefix.split("\n").length - 1, 16),
        });
      const before = at(above + "  const b = 2;");
      const after = at(above + "  const b = 2;\n  ");
      assert.equal(after.length - commonStart(before, after), 3);
      assert.ok(commonStart(before, after) > before.indexOf("<fimMiddle>"));
      // The same edit with tailLines 1 (the old layout) re-evaluates the suffix.
      const oldAfter = render({
        layout: "psmTail",
        prefix: above + "  const b = 2;\n  ",
        suffix: below,
        filePath: "a.ts",
        tailLines: 1,
      });
      assert.ok(oldAfter.length - commonStart(prompt("psmTail", "  const b = 2;"), oldAfter) > below.length);
      // Crossing the anchor (line 15 -> 16) re-evaluates the suffix once.
      const lines = (n: number) => Array.from({ length: n }, (_, i) => `x${i}\n`).join("");
      const line15 = at(lines(15) + "y");
      const line16 = at(lines(15) + "y\n");
      assert.ok(commonStart(line15, line16) <= line15.indexOf("<fimSuffix>"));
    });

    it("psmTail: a new line re-evaluates the suffix once (tailLines 1)", () => {
      const before = prompt("psmTail", "  const b = 2;");
      const after = render({
        layout: "psmTail",
        prefix: above + "  const b = 2;\n  ",
        suffix: below,
        filePath: "a.ts",
      });
      assert.ok(commonStart(before, after) <= before.indexOf("<fimSuffix>"));
      assert.ok(after.length - commonStart(before, after) > below.length);
    });

    it("spm: typing and new lines change only the tail", () => {
      const before = prompt("spm", "  const b = 2;");
      const after = render({ layout: "spm", prefix: above + "  const b = 2;\n  ", suffix: below, filePath: "a.ts" });
      assert.ok(commonStart(before, after) > before.indexOf("<fimPrefix>"));
    });
  });
});
