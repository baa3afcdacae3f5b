import fs from "node:fs";
import path from "node:path";

/** The repository root: the nearest folder above this file whose package.json is this extension's. */
export const repoRoot: string = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string };
      if (name === "local-code-assistant") return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`repository root not found above ${__dirname}`);
  }
})();

export interface Manifest {
  name: string;
  publisher: string;
  version: string;
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
  };
}

export function readManifest(dir: string = repoRoot): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
}

export const extensionId = (() => {
  const m = readManifest();
  return `${m.publisher}.${m.name}`;
})();

/** Where scripts/tools/install.sh puts Node 24 and code-server (LCA_TOOLS_DIR overrides). */
export const toolsDir = process.env.LCA_TOOLS_DIR ?? path.join(repoRoot, ".tools");
export const codeServerBin = path.join(toolsDir, "bin", "code-server");
export const chromiumPath = process.env.LCA_CHROMIUM ?? "/usr/bin/chromium";

/** Screenshots, logs and result files of the real-VS-Code suites (git-ignored). */
export const resultsDir = path.join(repoRoot, "test-results", "e2e");

/** Source of the sample workspace each scenario gets a fresh copy of. */
export const sampleWorkspaceDir = path.join(repoRoot, "test", "e2e", "fixtures", "workspace");

/** Compiled in-extension-host mocha suite (test/vscode/index.ts). */
export const hostSuiteIndex = path.join(repoRoot, "out", "test", "vscode", "index.js");

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
}

/** The VSIX the UI suite installs: LCA_VSIX, else what `npm run package` wrote for this machine. */
export function defaultVsixPath(): string {
  if (process.env.LCA_VSIX) return path.resolve(process.env.LCA_VSIX);
  const m = readManifest();
  const arch = process.arch === "arm" ? "armhf" : process.arch;
  return path.join(repoRoot, `${m.name}-${process.platform}-${arch}-${m.version}.vsix`);
}
