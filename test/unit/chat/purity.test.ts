import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "../../../..");

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? files(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

describe("chat layering", () => {
  it("src/core/chat, the webview protocol and the webview script import neither vscode nor node-llama-cpp nor node built-ins", () => {
    const pure = [...files(path.join(root, "src/core/chat")), path.join(root, "src/core/protocol/webviewProtocol.ts"), ...files(path.join(root, "media/chat"))];
    assert.ok(pure.length > 10);
    for (const file of pure) {
      const source = fs.readFileSync(file, "utf8");
      for (const match of source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)["']([^"']+)["']/g)) {
        const specifier = match[1]!;
        assert.ok(specifier !== "vscode" && !specifier.startsWith("node-llama-cpp") && !specifier.startsWith("node:"), `${path.relative(root, file)} imports ${specifier}`);
      }
    }
  });

  it("the VS Code adapter imports only vscode and project modules", () => {
    for (const file of files(path.join(root, "src/vscode/chat"))) {
      const source = fs.readFileSync(file, "utf8");
      for (const match of source.matchAll(/from\s+["']([^"']+)["']/g)) {
        const specifier = match[1]!;
        assert.ok(specifier === "vscode" || specifier.startsWith("."), `${path.relative(root, file)} imports ${specifier}`);
      }
    }
  });
});
