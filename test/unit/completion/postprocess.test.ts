import * as assert from "node:assert/strict";
import { completionMode } from "../../../src/core/completion/postprocessing/completionMode";
import { reindentLine } from "../../../src/core/completion/postprocessing/indentation";
import { resolveRightOverlap } from "../../../src/core/completion/postprocessing/overlap";
import {
  postprocessCompletion,
  type PostprocessContext,
} from "../../../src/core/completion/postprocessing/postprocess";
import {
  ENGINE_STOP_STRINGS,
  STOP_MARKERS,
  cutAtStopMarker,
} from "../../../src/core/completion/postprocessing/stopMarkers";
import { syntaxFor } from "../../../src/core/completion/postprocessing/syntax";
import { streamDecision } from "../../../src/core/completion/generation/streaming";
import { displayPath, previousNonBlankLine } from "../../../src/core/completion/text";

const ts = syntaxFor("typescript");

function ctx(prefix: string, suffix: string, over: Partial<PostprocessContext> = {}): PostprocessContext {
  return {
    prefix,
    suffix,
    languageId: "typescript",
    eol: "\n",
    indent: { useTabs: false, size: 2 },
    maxLines: 8,
    maxChars: 1000,
    ...over,
  };
}

describe("stop markers", () => {
  const cases: [string, string, boolean][] = [
    ["x = 1<|endoftext|>y", "x = 1", true],
    ["a<|fim_pad|>b<|endoftext|>", "a", true],
    ["a<|file_sep|>b", "a", true],
    ["a<|im_end|>", "a", true],
    ["return 0;<EOT>", "return 0;", true],
    ["b<|endoftext|>a<|im_end|>", "b", true],
    ["plain text </s> stays", "plain text </s> stays", false],
    ["no marker", "no marker", false],
  ];
  for (const [raw, text, found] of cases) {
    it(`cuts ${JSON.stringify(raw)}`, () => assert.deepEqual(cutAtStopMarker(raw), { text, found }));
  }
  it("sends at most 15 stop strings to the engine, so a single-line request can add \\n within the protocol's 16", () => {
    assert.ok(ENGINE_STOP_STRINGS.length <= 15);
    for (const s of ENGINE_STOP_STRINGS) assert.ok(STOP_MARKERS.includes(s), s);
  });
});

describe("completion mode", () => {
  const cases: [string, string, string, string][] = [
    ["foo(", ")", "typescript", "multiLine"],
    ["foo(", "bar)", "typescript", "singleLine"],
    ["function f() {", "}", "typescript", "multiLine"],
    ["list.map((x) => {", "});", "typescript", "multiLine"],
    ['log("', '")', "typescript", "singleLine"],
    ['def f():\n    """', "", "python", "multiLine"],
    ['def f():\n    """Sum', '"""', "python", "multiLine"],
    ["s = 'abc", "", "python", "singleLine"],
    ["let x = ", ";", "typescript", "singleLine"],
    ['<div className="a"', ">", "typescriptreact", "singleLine"],
    ["const x = ", "", "typescript", "multiLine"],
    ["function f() {", "\n}", "typescript", "multiLine"],
    ["  ", "\n}", "typescript", "multiLine"],
    ["x = 1  # note ", "", "python", "singleLine"],
    ["// explain ", "\nfoo()", "typescript", "singleLine"],
    ['const s = "abc', "", "typescript", "singleLine"],
    ["url = 'http://x#y", "", "python", "singleLine"],
    ["const url = 'http://x'; ", "", "typescript", "multiLine"],
  ];
  for (const [prefix, suffix, lang, mode] of cases) {
    it(`${JSON.stringify(prefix)} | ${JSON.stringify(suffix)} (${lang}) -> ${mode}`, () => {
      assert.equal(completionMode(prefix, suffix, syntaxFor(lang)), mode);
    });
  }
});

describe("re-indentation", () => {
  const cases: [string, boolean, number, string][] = [
    ["        x", true, 4, "\t\tx"],
    ["      x", true, 4, "\t  x"],
    ["\t\tx", false, 2, "    x"],
    ["\t  x", false, 4, "      x"],
    ["    x", false, 4, "    x"],
    ["\tx", true, 4, "\tx"],
    ["x", true, 4, "x"],
  ];
  for (const [line, useTabs, size, want] of cases) {
    it(`${JSON.stringify(line)} in ${useTabs ? "tabs" : "spaces"}/${size} -> ${JSON.stringify(want)}`, () => {
      assert.equal(reindentLine(line, { useTabs, size }), want);
    });
  }
});

describe("text right of the cursor", () => {
  const cases: [string, string, string, { text: string; replaceRight: number }][] = [
    ["foo(", "a, b", ")", { text: "a, b", replaceRight: 0 }],
    ["foo(", "a, b)", ")", { text: "a, b", replaceRight: 0 }],
    ["foo(", "a, b);", ")", { text: "a, b);", replaceRight: 1 }],
    ["foo(", "a, (b)", ")", { text: "a, (b)", replaceRight: 0 }],
    ["foo(", "bar(1)", ")", { text: "bar(1)", replaceRight: 0 }],
    ["foo(", "bar(1))", ")", { text: "bar(1)", replaceRight: 0 }],
    ['say("', 'hi")', '")', { text: "hi", replaceRight: 0 }],
    ['say("', 'hi");', '")', { text: 'hi");', replaceRight: 2 }],
    ["x = [", "1, 2]", "]  ", { text: "1, 2", replaceRight: 0 }],
    ["let v = ", "compute();", "", { text: "compute();", replaceRight: 0 }],
    ["", "a.b()", "b()", { text: "a.", replaceRight: 0 }],
  ];
  for (const [line, completion, right, want] of cases) {
    it(`${JSON.stringify(line)} + ${JSON.stringify(completion)} before ${JSON.stringify(right)}`, () => {
      assert.deepEqual(resolveRightOverlap(line, completion, right, ts), want);
    });
  }
});

describe("postprocessCompletion", () => {
  it("returns CRLF for a CRLF document even when the prefix uses CRLF", () => {
    const r = postprocessCompletion("a();\n  b();", ctx("function f() {\r\n  ", "\r\n}\r\n", { eol: "\r\n" }));
    assert.deepEqual(r, { kind: "ghost", ghost: { text: "a();\r\n  b();", replaceRight: 0 }, complete: true });
  });

  it("drops trailing whitespace and trailing blank lines", () => {
    const r = postprocessCompletion("a();   \n\n\n", ctx("function f() {\n  ", "\n}"));
    assert.equal(r.kind === "ghost" && r.ghost.text, "a();");
  });

  it("keeps leading whitespace of the first line (it continues the cursor line)", () => {
    const r = postprocessCompletion(" 42;", ctx("const x =", ""));
    assert.equal(r.kind === "ghost" && r.ghost.text, " 42;");
  });

  it("caps characters on a single long line", () => {
    const r = postprocessCompletion("abcdefghij".repeat(5), ctx("const s = ", "", { maxChars: 20 }));
    assert.equal(r.kind === "ghost" && r.ghost.text, "abcdefghij".repeat(2));
  });

  it("caps characters at a whole line when there are several", () => {
    const r = postprocessCompletion("aaaa;\n  bbbb;\n  cccc;", ctx("function f() {\n  ", "", { maxChars: 14 }));
    assert.equal(r.kind === "ghost" && r.ghost.text, "aaaa;\n  bbbb;");
  });

  it("accepts a repeated closing line such as `}` as the line above (punctuation never counts as a repeat)", () => {
    const r = postprocessCompletion("}", ctx("if (a) {\n  if (b) {\n  }\n", ""));
    assert.equal(r.kind, "ghost");
  });

  it("multi-line completion continues across blank lines inside the block", () => {
    const r = postprocessCompletion(
      "a = 1\n\n    b = 2\nc = 3",
      ctx("def f():\n    ", "", { languageId: "python", indent: { useTabs: false, size: 4 } }),
    );
    assert.equal(r.kind === "ghost" && r.ghost.text, "a = 1\n\n    b = 2");
  });

  it("an explicit mode overrides the computed one", () => {
    const r = postprocessCompletion("a();\n  b();", ctx("function f() {\n  ", "\n}", { mode: "singleLine" }));
    assert.equal(r.kind === "ghost" && r.ghost.text, "a();");
  });
});

describe("streaming (final: false)", () => {
  const body = ctx("function f() {\n  ", "\n}\n");

  it("waits while no line is complete", () => {
    assert.deepEqual(streamDecision("retu", body), { kind: "wait" });
    assert.deepEqual(postprocessCompletion("return", body, { final: false }), { kind: "pending" });
  });

  it("shows the first complete line without the incomplete one, and does not stop yet", () => {
    assert.deepEqual(streamDecision("a();\n  b(", body), {
      kind: "show",
      ghost: { text: "a();", replaceRight: 0 },
      stop: false,
    });
  });

  it("stops once the block closes (nothing later can change the result)", () => {
    assert.deepEqual(streamDecision("a();\n  b();\n}\n", body), {
      kind: "show",
      ghost: { text: "a();\n  b();", replaceRight: 0 },
      stop: true,
    });
  });

  it("stops at a stop marker even without a newline", () => {
    assert.deepEqual(streamDecision("a();<|endoftext|>", body), {
      kind: "show",
      ghost: { text: "a();", replaceRight: 0 },
      stop: true,
    });
  });

  it("a single-line request is settled by its first newline", () => {
    const mid = ctx("foo(", "b)");
    assert.deepEqual(streamDecision("a, b", mid), { kind: "wait" });
    assert.deepEqual(streamDecision("a, b\nmore", mid), {
      kind: "show",
      ghost: { text: "a, b", replaceRight: 0 },
      stop: true,
    });
  });

  it("a leading newline alone is not showable yet in multi-line mode", () => {
    assert.deepEqual(streamDecision("\n", ctx("function f() {", "")), { kind: "wait" });
    assert.deepEqual(streamDecision("\n  x();\n", ctx("function f() {", "")), {
      kind: "show",
      ghost: { text: "\n  x();", replaceRight: 0 },
      stop: false,
    });
  });

  it("rejects early when the first line repeats the line above", () => {
    assert.deepEqual(streamDecision("const a = 1;\n", ctx("const a = 1;\n", "")), {
      kind: "rejected",
      reason: "repeatsLineAbove",
      stop: true,
    });
  });

  it("in {|} the body streams before the auto-closed }, and the model's own } settles it", () => {
    const braces = ctx("function f() {", "}\n");
    assert.deepEqual(streamDecision("\n  a();\n  b(", braces), {
      kind: "show",
      ghost: { text: "\n  a();\n", replaceRight: 0 },
      stop: false,
    });
    assert.deepEqual(streamDecision("\n  a();\n}\n", braces), {
      kind: "show",
      ghost: { text: "\n  a();\n", replaceRight: 0 },
      stop: true,
    });
  });

  it("stops when maxLines complete lines are in", () => {
    const d = streamDecision("a();\n  b();\n  c(", ctx("function f() {\n  ", "\n}", { maxLines: 2 }));
    assert.deepEqual(d, { kind: "show", ghost: { text: "a();\n  b();", replaceRight: 0 }, stop: true });
  });
});

describe("text helpers", () => {
  it("previousNonBlankLine skips the cursor line and blank lines; displayPath", () => {
    assert.equal(previousNonBlankLine("a\nb\n  \n\ncur"), "b");
    assert.equal(previousNonBlankLine("a\n"), "a");
    assert.equal(previousNonBlankLine("only"), null);
    assert.equal(previousNonBlankLine("\n\n"), null);
    assert.equal(displayPath("file:///work/proj/src/my%20file.ts"), "src/my file.ts");
    assert.equal(displayPath("untitled:Untitled-1"), "Untitled-1");
    assert.equal(displayPath("file:///c%3A/proj/a.ts"), "proj/a.ts");
  });
});
