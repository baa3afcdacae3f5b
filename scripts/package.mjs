#!/usr/bin/env node
// npm run package [-- --target <vsce target>] [--out <file.vsix>] [--no-build]
//
// Builds a platform-specific VSIX with @vscode/vsce. The extension is staged into
// .cache/package/<target>/ with: package.json (without scripts/devDependencies), dist/, media/,
// README/CHANGELOG/LICENSE when present, .vscodeignore, and the runtime node_modules: the
// closure of package.json "dependencies" (node-llama-cpp and its deps, zod) where, of
// node-llama-cpp's platform packages (@node-llama-cpp/*), only the target's CPU (+ Vulkan) build
// is copied; never a CUDA build. Target packages that npm did not install here (another OS/CPU)
// are fetched with `npm pack` from the npm registry into .cache/npm-packs/; when that fails the
// VSIX is produced without them and the script says so loudly (or fails with --strict).
// vsce then packages the staging folder; its `npm list --production` runs there offline.
// Finally the VSIX is checked (scripts/tools/vsix.mjs) and its size printed.
//
// Options:
//   --target <t>   win32-x64 | win32-arm64 | linux-x64 | linux-arm64 | linux-armhf | darwin-x64 | darwin-arm64
//                  (default: this machine's)
//   --out <file>   output path (default: <repo>/<name>-<target>-<version>.vsix)
//   --no-build     do not run `npm run build -- --production` first (dist/ must exist)
//   --keep-stage   keep the staging folder .cache/package/<target>/ (removed after a good build)
//   --strict       fail when the target's binaries can be neither found nor fetched
//   --root <dir>   extension folder to package (default: the repo root; for harness development)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TARGET_BINARY_PACKAGES, checkVsix, currentTarget, defaultVsixPath, listZip } from "./tools/vsix.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NLC = "node-llama-cpp";
const NLC_SCOPE = "@node-llama-cpp/";

function fail(message) {
  console.error(`\n[package] ERROR: ${message}\n`);
  process.exit(1);
}
const log = (message) => console.log(`[package] ${message}`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function parseArgs(argv) {
  const opts = { target: undefined, out: undefined, build: true, strict: false, keepStage: false, root: repoRoot };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (!v) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--target" || a.startsWith("--target=") || a === "-t") opts.target = value();
    else if (a === "--out" || a.startsWith("--out=") || a === "-o") opts.out = path.resolve(value());
    else if (a === "--root" || a.startsWith("--root=")) opts.root = path.resolve(value());
    else if (a === "--no-build") opts.build = false;
    else if (a === "--strict") opts.strict = true;
    else if (a === "--keep-stage") opts.keepStage = true;
    else if (a === "--help" || a === "-h") {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\nimport")[0]);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  opts.target ??= currentTarget();
  if (!opts.target) fail(`no node-llama-cpp binaries for ${process.platform}-${process.arch}; pass --target`);
  if (!(opts.target in TARGET_BINARY_PACKAGES)) {
    fail(`unknown target ${opts.target}; one of ${Object.keys(TARGET_BINARY_PACKAGES).join(", ")}`);
  }
  return opts;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", shell: process.platform === "win32", ...options });
  if (r.error) fail(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return r;
}

/** Node's lookup: <dir>/node_modules/<name>, then each parent's, up to and including root. */
function resolvePackage(name, fromDir, root) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === root || path.dirname(dir) === dir || !dir.startsWith(root)) return undefined;
  }
}

/** Fetches @node-llama-cpp/<pkg>@<version> with `npm pack` (cached in .cache/npm-packs). */
function fetchBinaryPackage(pkg, version) {
  const cacheDir = path.join(repoRoot, ".cache", "npm-packs", `${pkg}-${version}`);
  const unpacked = path.join(cacheDir, "package");
  if (fs.existsSync(path.join(unpacked, "package.json"))) return unpacked;
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  log(`fetching ${NLC_SCOPE}${pkg}@${version} (not installed here) with npm pack`);
  const r = spawnSync("npm", ["pack", `${NLC_SCOPE}${pkg}@${version}`, "--pack-destination", cacheDir, "--silent"], {
    encoding: "utf8",
    shell: process.platform === "win32",
  });
  const tgz = fs.readdirSync(cacheDir).find((f) => f.endsWith(".tgz"));
  if (r.status !== 0 || !tgz) {
    console.error((r.stderr || r.error?.message || "").trim());
    return undefined;
  }
  const t = spawnSync("tar", ["-xzf", tgz], { cwd: cacheDir, stdio: "inherit" });
  fs.rmSync(path.join(cacheDir, tgz), { force: true });
  return t.status === 0 && fs.existsSync(path.join(unpacked, "package.json")) ? unpacked : undefined;
}

/**
 * The runtime node_modules closure: [relative path in the extension, source folder].
 * @returns {{packages: Map<string, string>, missingBinaries: string[], fetchedBinaries: string[], skippedOptional: string[]}}
 */
function collectRuntimePackages(root, manifest, target) {
  const packages = new Map();
  const skippedOptional = new Set();
  const missingBinaries = [];
  const fetchedBinaries = [];
  const wanted = TARGET_BINARY_PACKAGES[target];
  /** @param {string} relDir logical folder of the dependent, relative to root ("" = root) */
  const visit = (name, relDir, optional) => {
    const src = resolvePackage(name, path.join(root, relDir), root);
    if (!src) {
      if (optional) return;
      fail(`${name} (needed by ${relDir || "the extension"}) is not installed; run npm ci`);
    }
    const rel = path.relative(root, src).split(path.sep).join("/");
    if (packages.has(rel) || skippedOptional.has(rel)) return;
    const pkg = readJson(path.join(src, "package.json"));
    // Optional native packages of other platforms (e.g. @reflink/reflink-linux-x64-gnu in a
    // win32 VSIX) are left out by their package.json os/cpu/libc fields.
    if (!matchesTarget(pkg, target)) {
      if (optional) {
        skippedOptional.add(rel);
        return;
      }
      log(
        `WARNING: ${name} declares os/cpu ${JSON.stringify([pkg.os, pkg.cpu])} that do not match ${target}; shipping it anyway (it is not optional)`,
      );
    }
    packages.set(rel, src);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, rel, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      if (dep.startsWith(NLC_SCOPE)) continue; // platform binaries: chosen below
      if (pkg.dependencies?.[dep]) continue;
      visit(dep, rel, true);
    }
    // Required peers are shipped, optional ones (node-llama-cpp's typescript) are not.
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) {
      if (!pkg.peerDependenciesMeta?.[dep]?.optional) visit(dep, rel, false);
    }
    if (name === NLC) {
      for (const bin of wanted) {
        const full = NLC_SCOPE + bin;
        const version = pkg.optionalDependencies?.[full];
        if (!version) {
          log(`WARNING: ${NLC}@${pkg.version} publishes no ${full}`);
          continue;
        }
        const local = resolvePackage(full, src, root);
        const localVersion = local && readJson(path.join(local, "package.json")).version;
        if (local && localVersion === version) {
          packages.set(`node_modules/${full}`, local);
          continue;
        }
        const fetched = fetchBinaryPackage(bin, version);
        if (fetched) {
          packages.set(`node_modules/${full}`, fetched);
          fetchedBinaries.push(full);
        } else missingBinaries.push(`${full}@${version}`);
      }
    }
  };
  for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, "", false);
  return { packages, missingBinaries, fetchedBinaries, skippedOptional: [...skippedOptional] };
}

/** Whether a package's os / cpu / libc fields (npm semantics, "!x" negates) allow the target. */
function matchesTarget(pkg, target) {
  const [os, arch] = target.split("-");
  const cpu = arch === "armhf" ? "arm" : arch;
  const allows = (list, value) => {
    if (!Array.isArray(list) || list.length === 0) return true;
    if (list.includes(`!${value}`)) return false;
    const positive = list.filter((x) => !x.startsWith("!"));
    return positive.length === 0 || positive.includes(value);
  };
  // vsce's linux targets are glibc (alpine-* would be musl).
  return allows(pkg.os, os) && allows(pkg.cpu, cpu) && (os !== "linux" || allows(pkg.libc, "glibc"));
}

function copyTree(src, dest, { skipNodeModules = false } = {}) {
  fs.cpSync(src, dest, {
    recursive: true,
    dereference: true,
    filter: (s) => {
      const rel = path.relative(src, s);
      if (skipNodeModules && rel.split(path.sep)[0] === "node_modules") return false;
      return !s.endsWith(".map");
    },
  });
}

function summarize(entries) {
  const groups = new Map();
  for (const e of entries) {
    const n = e.name.replace(/^extension\//, "");
    let key;
    const m = /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(n);
    if (m && m[1].startsWith(NLC_SCOPE)) key = `node_modules/${m[1]}`;
    else if (m && m[1] === NLC) key = `node_modules/${NLC}`;
    else if (m) key = "node_modules/(other runtime deps)";
    else key = n.includes("/") ? n.slice(0, n.indexOf("/") + 1) : n;
    const g = groups.get(key) ?? { files: 0, size: 0, compressed: 0 };
    g.files++;
    g.size += e.size;
    g.compressed += e.compressedSize;
    groups.set(key, g);
  }
  return [...groups.entries()].sort((a, b) => b[1].compressed - a[1].compressed);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const root = opts.root;
  const manifestPath = path.join(root, "package.json");
  if (!fs.existsSync(manifestPath)) fail(`${manifestPath} not found`);

  if (opts.build) {
    log("npm run build -- --production");
    const r = run("npm", ["run", "build", "--", "--production"], { cwd: root });
    if (r.status !== 0) fail("npm run build failed");
  }
  const manifest = readJson(manifestPath);
  const main = manifest.main ? path.join(root, manifest.main) : undefined;
  for (const f of [main, path.join(root, "dist", "worker.js")]) {
    if (!f || !fs.existsSync(f)) fail(`${f ?? "package.json main"} is missing: run npm run build first`);
  }

  const stage = path.join(repoRoot, ".cache", "package", opts.target);
  log(`staging ${opts.target} in ${path.relative(repoRoot, stage)}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  const staged = { ...manifest };
  delete staged.scripts; // vsce would run vscode:prepublish; the build already ran
  delete staged.devDependencies;
  fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(staged, null, 2) + "\n");
  for (const dir of ["dist", "media"]) {
    if (fs.existsSync(path.join(root, dir))) copyTree(path.join(root, dir), path.join(stage, dir));
  }
  const rootFiles = fs.readdirSync(root);
  const license = rootFiles.find((f) => /^licen[sc]e(\.(md|txt))?$/i.test(f));
  for (const f of rootFiles.filter((f) => /^(readme|changelog)\.md$/i.test(f) || f === license)) {
    fs.copyFileSync(path.join(root, f), path.join(stage, f));
  }
  if (manifest.icon && fs.existsSync(path.join(root, manifest.icon))) {
    fs.mkdirSync(path.dirname(path.join(stage, manifest.icon)), { recursive: true });
    fs.copyFileSync(path.join(root, manifest.icon), path.join(stage, manifest.icon));
  }

  const { packages, missingBinaries, fetchedBinaries, skippedOptional } = collectRuntimePackages(
    root,
    manifest,
    opts.target,
  );
  for (const [rel, src] of packages) copyTree(src, path.join(stage, rel), { skipNodeModules: true });
  const binaries = [...packages.keys()]
    .filter((k) => k.startsWith(`node_modules/${NLC_SCOPE}`))
    .map((k) => k.replace(/^node_modules\//, ""));
  log(`runtime packages: ${packages.size}; node-llama-cpp binaries: ${binaries.join(", ") || "NONE"}`);
  if (skippedOptional.length)
    log(
      `left out (optional, other platform): ${skippedOptional.map((k) => k.replace(/^node_modules\//, "")).join(", ")}`,
    );

  // The ignore file: the repo's rules plus, defensively, every platform package not ours.
  const ours = TARGET_BINARY_PACKAGES[opts.target];
  const others = Object.values(TARGET_BINARY_PACKAGES)
    .flat()
    .filter((p) => !ours.includes(p));
  const ignoreBase = fs.readFileSync(path.join(repoRoot, ".vscodeignore"), "utf8");
  const ignoreExtra = [
    `\n# appended by scripts/package.mjs for ${opts.target}`,
    ...others.map((p) => `node_modules/${NLC_SCOPE}${p}/**`),
  ];
  fs.writeFileSync(path.join(stage, ".vscodeignore"), ignoreBase + ignoreExtra.join("\n") + "\n");

  const out = opts.out ?? defaultVsixPath(repoRoot, opts.target, manifest.name, manifest.version);
  fs.rmSync(out, { force: true });
  const vsceArgs = ["package", "--target", opts.target, "--out", out, "--no-yarn", "--no-rewrite-relative-links"];
  if (!license) vsceArgs.push("--skip-license");
  let vsceBin;
  try {
    vsceBin = path.join(path.dirname(fileURLToPath(import.meta.resolve("@vscode/vsce/package.json"))), "vsce");
  } catch {
    fail("@vscode/vsce is not installed (devDependency); run npm ci");
  }
  log(`vsce ${vsceArgs.join(" ")}`);
  const r = run(process.execPath, [vsceBin, ...vsceArgs], {
    cwd: stage,
    // vsce runs `npm list --production` in the staging folder: local only, never the network.
    env: {
      ...process.env,
      npm_config_offline: "true",
      npm_config_update_notifier: "false",
      npm_config_loglevel: "error",
    },
  });
  if (r.status !== 0 || !fs.existsSync(out)) fail("vsce package failed");

  const size = fs.statSync(out).size;
  const entries = listZip(out);
  const shown = path.relative(process.cwd(), out).startsWith("..") ? out : path.relative(process.cwd(), out);
  console.log(`\n[package] ${shown}: ${entries.length} files`);
  for (const [key, g] of summarize(entries)) {
    console.log(
      `  ${key.padEnd(44)} ${String(g.files).padStart(5)} files  ${mb(g.size).padStart(9)} -> ${mb(g.compressed).padStart(8)}`,
    );
  }
  if (fetchedBinaries.length) log(`fetched from the npm registry: ${fetchedBinaries.join(", ")}`);
  const results = checkVsix(entries, size, opts.target, { requireBinaries: missingBinaries.length === 0 });
  const failed = results.filter((x) => !x.ok);
  for (const f of failed) console.error(`[package] CHECK FAILED: ${f.rule}${f.detail ? ` (${f.detail})` : ""}`);
  if (missingBinaries.length) {
    console.error(
      `\n[package] WARNING: ${missingBinaries.join(", ")} could not be found or fetched: this VSIX for ${opts.target} ` +
        `has NO node-llama-cpp binaries and cannot run models. Install them (npm install --no-save ${missingBinaries.join(" ")} ` +
        `--force) or package on a ${opts.target} machine.\n`,
    );
  }
  console.log(
    `[package] ${opts.target} VSIX size: ${mb(size)} (budget ${mb(60 * 1024 * 1024)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (failed.length || (opts.strict && missingBinaries.length)) {
    console.error(`[package] staging folder kept for inspection: ${stage}`);
    process.exit(1);
  }
  if (!opts.keepStage) fs.rmSync(stage, { recursive: true, force: true });
}

main();
