import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { declaredNames } from "../../../src/core/summarize/declarations";

const repoRoot = path.resolve(__dirname, "../../../..");

describe("summarize: declared names (kept between map-reduce parts)", () => {
  it("TypeScript: exported functions, classes and arrow consts first, in source order, without repeats", () => {
    const text = [
      "function helper(x: number) {}",
      "export async function readHeader(path: string) {}",
      "export class GgufReader {}",
      "export const parse = async (text: string): Promise<void> => {};",
      "export const LIMIT = 4;",
      "  class Inner {}",
      "export default function main() {}",
      "function helper(y: number) {}",
    ].join("\n");
    assert.deepEqual(declaredNames(text), ["readHeader", "GgufReader", "parse", "main", "helper", "Inner"]);
  });

  it("Python defs and classes, Go funcs and methods, Rust pub fns", () => {
    assert.deepEqual(
      declaredNames("import os\n\nclass Store:\n    def get(self):\n        pass\n\ndef load(path):\n    pass\n"),
      ["Store", "load"],
    );
    assert.deepEqual(declaredNames("package main\n\nfunc (s *Server) Serve() {}\nfunc main() {}\n"), ["Serve", "main"]);
    assert.deepEqual(declaredNames("fn private() {}\npub fn open() {}\npub(crate) async fn close() {}\n"), [
      "open",
      "close",
      "private",
    ]);
  });

  it("caps the list and gives nothing for text that declares nothing", () => {
    const many = Array.from({ length: 30 }, (_, i) => `export function f${i}() {}`).join("\n");
    assert.deepEqual(declaredNames(many, 3), ["f0", "f1", "f2"]);
    assert.equal(declaredNames(many).length, 8);
    assert.deepEqual(declaredNames(many, 30, 12), ["f0", "f1", "f2"], "about maxChars characters");
    assert.deepEqual(declaredNames("Just prose about a function and a class.\n"), []);
  });

  it("on the real sample the map-reduce tier summarises, the exported functions come first", () => {
    const text = fs.readFileSync(path.join(repoRoot, "test/fixtures/real/samples/ggufFile.ts.txt"), "utf8");
    assert.deepEqual(declaredNames(text).slice(0, 5), [
      "readGgufHeader",
      "readCompleteGgufFile",
      "checkGgufFile",
      "readGgufSummary",
      "ladderForGgufFile",
    ]);
  });
});
