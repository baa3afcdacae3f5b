// Shared by scripts/package.mjs and the VSIX-contents test: the platform targets, which
// node-llama-cpp prebuilt-binary packages each one ships, a tiny zip directory reader and the
// rules every packaged VSIX must satisfy.
import fs from "node:fs";
import path from "node:path";

/** Largest VSIX we accept, in bytes (the budget is for linux-x64; the other targets are similar). */
export const VSIX_BUDGET_BYTES = 60 * 1024 * 1024;

/**
 * vsce target -> the @node-llama-cpp/* packages to ship for it. CPU builds plus Vulkan where
 * node-llama-cpp publishes one; never the CUDA ones (-cuda, -cuda-ext: ~540 MB).
 * @type {Record<string, string[]>}
 */
export const TARGET_BINARY_PACKAGES = {
  "linux-x64": ["linux-x64", "linux-x64-vulkan"],
  "linux-arm64": ["linux-arm64"],
  "linux-armhf": ["linux-armv7l"],
  "win32-x64": ["win-x64", "win-x64-vulkan"],
  "win32-arm64": ["win-arm64"],
  "darwin-arm64": ["mac-arm64-metal"],
  "darwin-x64": ["mac-x64"],
};

/** The vsce target of the machine we run on, or undefined when node-llama-cpp has no binaries for it. */
export function currentTarget() {
  const os =
    process.platform === "win32"
      ? "win32"
      : process.platform === "darwin"
        ? "darwin"
        : process.platform === "linux"
          ? "linux"
          : undefined;
  const arch = process.arch === "arm" ? "armhf" : process.arch;
  const target = os && `${os}-${arch}`;
  return target && target in TARGET_BINARY_PACKAGES ? target : undefined;
}

/** Default output path of `npm run package` for a target. */
export function defaultVsixPath(repoRoot, target, name, version) {
  return path.join(repoRoot, `${name}-${target}-${version}.vsix`);
}

/**
 * Lists the entries of a zip file (a VSIX) from its central directory.
 * @param {string} file
 * @returns {{name: string, size: number, compressedSize: number}[]}
 */
export function listZip(file) {
  const buf = fs.readFileSync(file);
  // End of central directory record: signature 0x06054b50, at most 65535+22 bytes from the end.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  let count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    // ZIP64: the locator sits right before the EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || buf.readUInt32LE(loc) !== 0x07064b50) throw new Error(`${file}: broken ZIP64 directory`);
    const z64 = Number(buf.readBigUInt64LE(loc + 8));
    count = Number(buf.readBigUInt64LE(z64 + 32));
    offset = Number(buf.readBigUInt64LE(z64 + 48));
  }
  const entries = [];
  for (let n = 0, p = offset; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: broken central directory at ${p}`);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    entries.push({ name, size, compressedSize });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Checks a VSIX's entry list against the packaging rules.
 * @param {{name: string}[]} entries  from listZip
 * @param {number} sizeBytes          size of the .vsix file
 * @param {string} target             vsce target it was built for
 * @param {{requireBinaries?: boolean}} [options] requireBinaries (default true): the target's
 *        binary packages must be inside (false when they could not be fetched for a cross build)
 * @returns {{rule: string, ok: boolean, detail?: string}[]}
 */
export function checkVsix(entries, sizeBytes, target, options = {}) {
  const requireBinaries = options.requireBinaries ?? true;
  const names = entries.map((e) => e.name);
  const has = (n) => names.includes(n);
  const ours = TARGET_BINARY_PACKAGES[target] ?? [];
  const offenders = (re) => names.filter((n) => re.test(n));
  const sample = (list) =>
    list.length ? `${list.length}: ${list.slice(0, 5).join(", ")}${list.length > 5 ? ", ..." : ""}` : undefined;
  /** @type {{rule: string, ok: boolean, detail?: string}[]} */
  const results = [];
  const rule = (name, ok, detail) => results.push({ rule: name, ok, ...(ok ? {} : { detail }) });

  for (const f of ["extension/package.json", "extension/dist/extension.js", "extension/dist/worker.js"]) {
    rule(`contains ${f}`, has(f), "missing");
  }
  for (const f of [
    "extension/node_modules/node-llama-cpp/package.json",
    "extension/node_modules/node-llama-cpp/dist/index.js",
    "extension/node_modules/node-llama-cpp/llama/binariesGithubRelease.json",
    "extension/node_modules/zod/package.json",
  ]) {
    rule(`contains ${f}`, has(f), "missing");
  }
  if (requireBinaries) {
    for (const pkg of ours) {
      const addon = `extension/node_modules/@node-llama-cpp/${pkg}/bins/${pkg}/llama-addon.node`;
      rule(`contains ${target} binaries (${pkg})`, has(addon), `missing ${addon}`);
    }
  }
  const cuda = offenders(/^extension\/node_modules\/@node-llama-cpp\/[^/]*cuda/);
  rule("no CUDA binaries", cuda.length === 0, sample(cuda));
  const foreign = names.filter((n) => {
    const m = /^extension\/node_modules\/@node-llama-cpp\/([^/]+)\//.exec(n);
    return m !== null && !ours.includes(m[1]);
  });
  rule("no other platforms' binaries", foreign.length === 0, sample(foreign));
  const ts = offenders(/\.(ts|mts|cts|tsx)$/);
  rule("no TypeScript sources or declarations", ts.length === 0, sample(ts));
  const maps = offenders(/\.map$/);
  rule("no source maps", maps.length === 0, sample(maps));
  const junk = offenders(
    /(^extension\/(src|test|out|\.cache|\.tools|test-results|scripts)\/)|gitRelease\.bundle$|\.vsix$|\.gguf$/,
  );
  rule("no sources, tests, tool caches, models or llama.cpp source bundle", junk.length === 0, sample(junk));
  rule(
    `size <= ${VSIX_BUDGET_BYTES / 1024 / 1024} MB`,
    sizeBytes <= VSIX_BUDGET_BYTES,
    `${(sizeBytes / 1024 / 1024).toFixed(1)} MB`,
  );
  return results;
}
