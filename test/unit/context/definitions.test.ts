import * as assert from "node:assert/strict";
import type { ContextChunk } from "../../../src/core/completion/context/extraContextRing";
import {
  definitionSites,
  definitionSnippet,
  selectDefinitions,
  type DefinitionSnippet,
} from "../../../src/core/completion/context/definitions";
import { completionPipeline, type GenerateFn } from "../../../src/core/completion/pipeline";
import { DEFAULT_COMPLETION_SETTINGS } from "../../../src/core/completion/settings";
import { renderSegments } from "../../../src/core/completion/templating/fimPrompt";
import type { GenerateRequestInput } from "../../../src/core/protocol/workerProtocol";
import { excludeMatcher, DEFAULT_CONTEXT_EXCLUDE } from "../../../src/core/context/exclude";

const names = (prefix: string) => definitionSites(prefix).map((s) => `${s.kind}:${s.name}`);

describe("definitions for the completion prompt: where to look", () => {
  it("the call being written, with the position of its name", () => {
    const sites = definitionSites("import { area } from './geo';\nconst a = area(3, ");
    assert.deepEqual(sites, [{ name: "area", line: 1, character: 10, kind: "call" }]);
  });

  it("the innermost unclosed call, not one already closed", () => {
    assert.deepEqual(names("const x = outer(inner(1), "), ["call:outer"]);
    assert.deepEqual(names("const x = outer(inner("), ["call:inner"]);
    assert.deepEqual(names("const x = outer(inner(1));\nfoo"), []);
  });

  it("a call split over lines is still found", () => {
    assert.deepEqual(names("const r = makeRequest(\n  url,\n  "), ["call:makeRequest"]);
  });

  it("the receiver of a member access, partly typed member or not", () => {
    assert.deepEqual(names("  cart."), ["receiver:cart"]);
    assert.deepEqual(names("  cart.tot"), ["receiver:cart"]);
    assert.deepEqual(names("  this.store?.ge"), ["receiver:store"]);
    assert.deepEqual(names("obj->fie"), ["receiver:obj"]);
  });

  it("types in the enclosing function's signature", () => {
    const prefix = "export function total(cart: Cart, rates: TaxRates): Money {\n  const sub = 0;\n  ";
    assert.deepEqual(names(prefix), ["type:Cart", "type:TaxRates", "type:Money"]);
    assert.deepEqual(names("def total(cart: Cart) -> Money:\n    "), ["type:Cart", "type:Money"]);
  });

  it("keywords and built-in types are not looked up; names come once, the call first", () => {
    assert.deepEqual(names("if ("), []);
    assert.deepEqual(names("function f(s: string, p: Promise<Cart>): void {\n  "), []);
    assert.deepEqual(names("function f(cart: Cart) {\n  cart.add(price(cart."), [
      "call:price",
      "receiver:cart",
      "type:Cart",
    ]);
  });

  it("at most maxSites", () => {
    const prefix = "function f(a: A1, b: B1, c: C1, d: D1, e: E1) {\n  ";
    assert.equal(definitionSites(prefix, 3).length, 3);
  });
});

describe("definitions for the completion prompt: cutting a definition", () => {
  const file = [
    "import x from 'y';",
    "",
    "/**",
    " * Area of a rectangle.",
    " * @param width in metres",
    " */",
    "export function rectangleArea(",
    "  width: number,",
    "  height: number,",
    "): number {",
    "  return width * height;",
    "}",
    "",
    "// A cart line.",
    "export interface CartLine {",
    "  sku: string;",
    "  quantity: number;",
    "}",
    "",
    "def greet(name: str) -> str:",
    "    return 'hi ' + name",
  ];

  it("a function: its doc comment and signature up to the brace, no body", () => {
    assert.equal(
      definitionSnippet(file, 6),
      [
        "/**",
        " * Area of a rectangle.",
        " * @param width in metres",
        " */",
        "export function rectangleArea(",
        "  width: number,",
        "  height: number,",
        "): number {",
      ].join("\n"),
    );
  });

  it("a type: its comment and its members (the model needs the members)", () => {
    assert.equal(definitionSnippet(file, 14), file.slice(13, 18).join("\n"));
  });

  it("python: the def line", () => {
    assert.equal(definitionSnippet(file, 19), "def greet(name: str) -> str:");
  });

  it("bounded: a runaway signature stops at maxLines; out of range is empty", () => {
    const long = ["function f(", ...Array.from({ length: 50 }, (_, i) => `  a${i}: number,`)];
    assert.equal(definitionSnippet(long, 0, 5).split("\n").length, 5);
    assert.equal(definitionSnippet(file, 99), "");
  });
});

describe("definitions for the completion prompt: the budgeted choice", () => {
  const def = (name: string, path: string, text: string): DefinitionSnippet => ({
    uri: `file:///w/${path}`,
    path,
    name,
    text,
  });
  const base = {
    uri: "file:///w/src/main.ts",
    windowText: "const a = area(",
    ring: [] as ContextChunk[],
    countTokens: (t: string) => t.length,
  };

  it("keeps the given order while they fit, skipping one too big for a smaller one after it", () => {
    const defs = [
      def("a", "a.ts", "x".repeat(10)),
      def("b", "b.ts", "y".repeat(100)),
      def("c", "c.ts", "z".repeat(10)),
    ];
    const picked = selectDefinitions({ ...base, definitions: defs, budgetTokens: 40 });
    assert.deepEqual(
      picked.map((c) => c.path),
      ["a.ts", "c.ts"],
    );
    assert.ok(picked.every((c) => c.source === "definition"));
    assert.deepEqual(selectDefinitions({ ...base, definitions: defs, budgetTokens: 0 }), []);
  });

  it("drops what the prompt already has: the window, a ring chunk, a repeat, the same file; and excluded files", () => {
    const ring: ContextChunk[] = [
      { uri: "file:///w/r.ts", path: "r.ts", text: "// r\nexport function r(): void {\n}" },
    ];
    const { matches } = excludeMatcher(DEFAULT_CONTEXT_EXCLUDE);
    const defs = [
      def("area", "geo.ts", "export function area(w: number): number {"),
      def("r", "r.ts", "export function r(): void {"),
      def("inWindow", "x.ts", "const a = area("),
      def("area2", "geo2.ts", "export function area(w: number): number {"),
      { ...def("self", "src/main.ts", "function self() {"), uri: base.uri },
      def("KEY", ".env", "API_KEY=sk-1"),
    ];
    const picked = selectDefinitions({ ...base, ring, definitions: defs, budgetTokens: 10_000, exclude: matches });
    assert.deepEqual(
      picked.map((c) => c.path),
      ["geo.ts"],
    );
  });

  it("go into the prompt's stable part, after the ring chunks and before the FIM part", async () => {
    const bodies: GenerateRequestInput[] = [];
    const generate: GenerateFn = async (_slot, body) => {
      bodies.push(body);
      return {
        text: "3, 4);",
        stopReason: "eogToken",
        promptTokens: 1,
        reusedPromptTokens: 0,
        generatedTokens: 1,
        firstTokenMs: 1,
        ms: 1,
      };
    };
    const specialTokens = {
      fimPrefix: true,
      fimSuffix: true,
      fimMiddle: true,
      fileSeparator: true,
      repoName: true,
      eos: true,
    };
    const document = {
      uri: "file:///w/src/main.ts",
      path: "src/main.ts",
      languageId: "typescript",
      eol: "\n" as const,
      indent: { useTabs: false, size: 2 },
      prefix: "const a = area(",
      suffix: "",
    };
    const run = (definitionTokens: number) =>
      completionPipeline({
        document,
        settings: { ...DEFAULT_COMPLETION_SETTINGS, definitionTokens },
        model: { specialTokens },
        generate,
        extraContext: [{ uri: "file:///w/u.ts", path: "src/u.ts", text: "export const two = 2;" }],
        definitions: [def("area", "src/geo.ts", "/** Area. */\nexport function area(w: number, h: number): number {")],
      });
    const result = await run(256);
    const body = bodies[0];
    assert.ok(body.kind === "segments");
    assert.equal(
      renderSegments(body.segments),
      "<fileSeparator>src/u.ts\nexport const two = 2;\n" +
        "<fileSeparator>src/geo.ts\n/** Area. */\nexport function area(w: number, h: number): number {\n" +
        "<fileSeparator>src/main.ts\n<fimPrefix><fimSuffix><fimMiddle>const a = area(",
    );
    assert.deepEqual(
      result.context?.map((c) => c.source ?? "ring"),
      ["ring", "definition"],
    );
    await run(0);
    assert.ok(bodies[1].kind === "segments" && !renderSegments(bodies[1].segments).includes("src/geo.ts"));
  });
});
