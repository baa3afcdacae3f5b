import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

// The architecture rule: src/core is plain TypeScript, testable without VS Code or a model.
const root = path.resolve(__dirname, "../../../..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

const importOf = (module: string) => new RegExp(`(from\\s+|import\\(|require\\()\\s*["']${module}["']`);

describe("layering", () => {
  const coreFiles = sourceFiles(path.join(root, "src/core"));

  it("finds the core sources", () => assert.ok(coreFiles.length > 5));

  for (const forbidden of ["vscode", "node-llama-cpp"])
    it(`no file under src/core imports ${forbidden}`, () => {
      const offenders = coreFiles.filter((file) => importOf(forbidden).test(fs.readFileSync(file, "utf8")));
      assert.deepEqual(offenders.map((f) => path.relative(root, f)), []);
    });

  it("only src/worker loads node-llama-cpp at run time", () => {
    const offenders = sourceFiles(path.join(root, "src"))
      .filter((file) => !file.includes(`${path.sep}worker${path.sep}`))
      .filter((file) => /import\(\s*["']node-llama-cpp["']\s*\)|require\(\s*["']node-llama-cpp["']\s*\)|from\s+["']node-llama-cpp["']/.test(fs.readFileSync(file, "utf8").replace(/import type[^;]*;/g, "")));
    assert.deepEqual(offenders.map((f) => path.relative(root, f)), []);
  });
});
