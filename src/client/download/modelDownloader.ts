/**
 * Downloads one model file over HTTP(S): progress, AbortSignal cancel, resume with HTTP Range
 * into `<file>.partial`, a disk-space check, and verification (size, GGUF header, SHA-256) before
 * the file gets its final name. Only verified files ever carry the .gguf name, so a partial
 * download can never be loaded.
 *
 * Own implementation on Node's fetch: node-llama-cpp's createModelDownloader (ipull) has no
 * SHA-256 or disk-space check, and is ESM-only inside a CJS extension.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import * as path from "node:path";
import type { CatalogModel, CatalogQuant } from "../../core/models/catalogSchema";
import { quantSizeBytes } from "../../core/models/catalog";
import { DownloadError, formatBytes, httpStatusError, offlineError } from "./downloadError";
import { checkGgufFile } from "../ggufFile";
import { acquireLock } from "./downloadLock";
import { redactUrl } from "../../core/security/redact";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

export interface DownloadSpec {
  repo: string;
  /** Path inside the repo, e.g. "qwen2.5-coder-1.5b-q8_0.gguf". */
  file: string;
  /** Where the verified file goes. */
  destPath: string;
  /** Default https://huggingface.co; any mirror with the same /resolve/ layout works. */
  endpoint?: string;
  revision?: string;
  /** Exact byte count, when known. Rounded listing sizes must not be passed here. */
  expectedSizeBytes?: number | null;
  sha256?: string | null;
  token?: string;
}

export interface DownloadProgress {
  url: string;
  /** Bytes on disk so far, including a resumed part. */
  receivedBytes: number;
  totalBytes: number | null;
  resumedFromBytes: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Automatic resumes after a dropped connection or a 5xx (default 3). */
  maxRetries?: number;
  retryDelayMs?: number;
  /** Abort and resume when no byte arrives for this long (default 60 s). */
  stallTimeoutMs?: number;
  /** Kept free on the disk beyond the file itself (default 64 MiB). */
  diskReserveBytes?: number;
  fetch?: typeof fetch;
  statfs?: (dir: string) => Promise<{ bavail: number | bigint; bsize: number | bigint }>;
}

export interface DownloadResult {
  path: string;
  url: string;
  sizeBytes: number;
  /** Null when neither the catalog nor the endpoint gave a SHA-256 to check against. */
  sha256: string | null;
  /** Where the SHA-256 that was checked came from. */
  sha256Source: "catalog" | "endpoint" | null;
  /** Bytes that were already in the .partial file when this call started its last transfer. */
  resumedFromBytes: number;
  alreadyPresent: boolean;
}

/** `${endpoint}/${repo}/resolve/${revision}/${file}` with each path segment encoded. */
export function modelFileUrl(endpoint: string, repo: string, file: string, revision = "main"): string {
  const base = endpoint.replace(/\/+$/, "");
  const enc = (p: string) => p.split("/").map(encodeURIComponent).join("/");
  return `${base}/${enc(repo)}/resolve/${encodeURIComponent(revision)}/${enc(file)}`;
}

function hasCredentials(endpoint: string): boolean {
  try {
    const u = new URL(endpoint);
    return u.username !== "" || u.password !== "";
  } catch {
    return false;
  }
}

/** A path segment that could leave the models folder (or is not a plain name) makes a repo or file unsafe. */
function unsafeSegment(segment: string): boolean {
  return segment === "" || segment === "." || segment === ".." || /[\\:\0]/.test(segment);
}

/** Why a catalog repo/file must not become a path under the models folder, or null when it is safe. */
export function unsafeRepoPath(repo: string, file: string): string | null {
  const parts = repo.split("/");
  if (parts.length !== 2 || parts.some(unsafeSegment))
    return `the repo "${repo}" is not owner/name (no "..", ".", empty or backslash parts)`;
  if (path.isAbsolute(file) || file.split("/").some(unsafeSegment))
    return `the file path "${file}" has "..", ".", empty, absolute or backslash parts`;
  return null;
}

export function partialPathFor(destPath: string): string {
  return `${destPath}.partial`;
}

/** Where a catalog file lives under the models folder: <dir>/<owner>/<repo>/<file>. */
export function catalogDownloadSpec(
  model: CatalogModel,
  quant: CatalogQuant,
  modelsDir: string,
  endpoint = DEFAULT_ENDPOINT,
): DownloadSpec {
  if (quant.repo === null || quant.file === null) {
    throw new DownloadError(
      "badRequest",
      "",
      `${model.id} ${quant.quant} has no known file to download (${quant.note ?? "no file name in the catalog"}).`,
    );
  }
  const unsafe = unsafeRepoPath(quant.repo, quant.file);
  if (unsafe) throw new DownloadError("badRequest", "", `${model.id} ${quant.quant}: refusing to download, ${unsafe}.`);
  const [owner, name] = quant.repo.split("/");
  const destPath = path.join(modelsDir, owner, name, ...quant.file.split("/"));
  // Belt and braces: whatever the names, the file lands inside the models folder.
  if (path.relative(path.resolve(modelsDir), path.resolve(destPath)).startsWith(".."))
    throw new DownloadError(
      "badRequest",
      "",
      `${model.id} ${quant.quant}: refusing to write outside the models folder (${destPath}).`,
    );
  return {
    repo: quant.repo,
    file: quant.file,
    destPath,
    endpoint,
    expectedSizeBytes: quant.sizeKind === "exact" ? quantSizeBytes(quant) : null,
    sha256: quant.sha256,
  };
}

interface PartialMeta {
  url: string;
  etag: string | null;
  totalBytes: number | null;
  /** The SHA-256 the endpoint declared for the file (X-Linked-Etag), kept so a resume verifies it too. */
  sha256?: string | null;
}

async function fileSize(p: string): Promise<number> {
  try {
    return (await fs.stat(p)).size;
  } catch {
    return 0;
  }
}

async function readMeta(p: string): Promise<PartialMeta | null> {
  try {
    return JSON.parse(await fs.readFile(p, "utf8")) as PartialMeta;
  } catch {
    return null;
  }
}

export async function sha256OfFile(p: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(p)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Checks a finished file: exact size (when known), GGUF header and tensor extent, SHA-256 (when
 * known; hashing reads the whole file, so it is skipped when there is nothing to compare with).
 */
export async function verifyModelFile(
  filePath: string,
  expected: { sizeBytes?: number | null; sha256?: string | null },
): Promise<{ ok: true; sizeBytes: number; sha256: string | null } | { ok: false; reason: string }> {
  const size = await fileSize(filePath);
  if (expected.sizeBytes != null && size !== expected.sizeBytes) {
    return {
      ok: false,
      reason: `size ${size} bytes, expected ${expected.sizeBytes}${size < expected.sizeBytes ? " (truncated)" : ""}`,
    };
  }
  const header = await checkGgufFile(filePath);
  if (!header.ok) return { ok: false, reason: header.reason };
  if (!expected.sha256) return { ok: true, sizeBytes: size, sha256: null };
  const sha256 = await sha256OfFile(filePath);
  if (sha256 !== expected.sha256.toLowerCase())
    return { ok: false, reason: `SHA-256 ${sha256}, expected ${expected.sha256}` };
  return { ok: true, sizeBytes: size, sha256 };
}

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function parseContentRange(value: string | null): { start: number; total: number | null } | null {
  const m = value ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value.trim()) : null;
  return m ? { start: Number(m[1]), total: m[2] === "*" ? null : Number(m[2]) } : null;
}

/** The endpoint is not Hugging Face itself: failures may be the mirror's, and messages say so. */
function isMirror(endpoint: string): boolean {
  return endpoint !== DEFAULT_ENDPOINT;
}

/** What to do after a file failed a check: depends on whether a mirror served it. */
function verifyAdvice(endpoint: string): string {
  return isMirror(endpoint)
    ? `If it fails again, the mirror ${endpoint} (localCode.downloadEndpoint) does not serve the file the catalog describes: ` +
        `use ${DEFAULT_ENDPOINT} or a mirror with the same files, or set the model setting to the absolute path of a .gguf you have.`
    : `If it fails again, the catalog entry is out of date: choose another quant, or set the model setting to the absolute path of a .gguf you have.`;
}

/** The result for the file at `spec.destPath` once it passed verifyModelFile. */
function verified(
  spec: DownloadSpec,
  url: string,
  check: { sizeBytes: number; sha256: string | null },
  how: Pick<DownloadResult, "sha256Source" | "resumedFromBytes" | "alreadyPresent">,
): DownloadResult {
  return { path: spec.destPath, url, sizeBytes: check.sizeBytes, sha256: check.sha256, ...how };
}

/**
 * Downloads `spec` to `spec.destPath`. Resolves with the verified file; rejects with a
 * DownloadError. After "cancelled" or "interrupted" the .partial file stays and the next call
 * resumes it.
 */
export async function downloadModelFile(spec: DownloadSpec, options: DownloadOptions = {}): Promise<DownloadResult> {
  const endpoint = (spec.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
  const url = modelFileUrl(endpoint, spec.repo, spec.file, spec.revision);
  const shown = redactUrl(url);
  if (!/^https?:\/\//.test(endpoint))
    throw new DownloadError(
      "badRequest",
      shown,
      `The download endpoint must be an http(s) URL, got "${redactUrl(endpoint)}".`,
    );
  if (hasCredentials(endpoint))
    throw new DownloadError(
      "badRequest",
      shown,
      `The download endpoint ${redactUrl(endpoint)} contains a user name or password: remove them from localCode.downloadEndpoint (a Hugging Face token is given to Local Code separately).`,
    );
  const badPath = unsafeRepoPath(spec.repo, spec.file);
  if (badPath)
    throw new DownloadError("badRequest", shown, `Refusing to download ${shown}: ${badPath}. Nothing was written.`);
  const expected = { sizeBytes: spec.expectedSizeBytes ?? null, sha256: spec.sha256?.toLowerCase() ?? null };

  if (await fileSize(spec.destPath)) {
    const check = await verifyModelFile(spec.destPath, expected);
    if (check.ok)
      return verified(spec, url, check, {
        sha256Source: check.sha256 ? "catalog" : null,
        resumedFromBytes: 0,
        alreadyPresent: true,
      });
    await fs.rm(spec.destPath, { force: true });
  }
  await fs.mkdir(path.dirname(spec.destPath), { recursive: true });
  const release = await acquireLock(`${spec.destPath}.lock`, url);
  try {
    const { resumedFromBytes, declaredSha256 } = await transfer(spec, url, endpoint, options);
    const partial = partialPathFor(spec.destPath);
    // The catalog's SHA-256 when it has one, else the one the endpoint declared for the file.
    const sha256 = expected.sha256 ?? declaredSha256;
    const sha256Source = expected.sha256 ? "catalog" : declaredSha256 ? "endpoint" : null;
    const check = await verifyModelFile(partial, { sizeBytes: expected.sizeBytes, sha256 });
    if (!check.ok) {
      await fs.rm(partial, { force: true });
      await fs.rm(`${partial}.json`, { force: true });
      const by =
        sha256Source === "endpoint" && check.reason.startsWith("SHA-256")
          ? ` (the SHA-256 ${endpoint} declared for it)`
          : "";
      throw new DownloadError(
        "verifyFailed",
        url,
        `${spec.file} downloaded from ${url} failed verification: ${check.reason}${by}. It was deleted and nothing was loaded. ` +
          `Download it again. ${verifyAdvice(endpoint)}`,
      );
    }
    await fs.rename(partial, spec.destPath);
    await fs.rm(`${partial}.json`, { force: true });
    return verified(spec, url, check, { sha256Source, resumedFromBytes, alreadyPresent: false });
  } finally {
    await release();
  }
}

/**
 * What an endpoint says about a file besides sending it. Hugging Face answers /resolve/ for an LFS
 * file with a redirect that carries X-Linked-Etag (the file's SHA-256: the LFS object id) and
 * X-Linked-Size; mirrors that copy its API send them too.
 */
interface DeclaredFile {
  sha256: string | null;
  sizeBytes: number | null;
}

function readDeclared(headers: Headers, into: DeclaredFile): void {
  const etag = /^(?:W\/)?"?([0-9a-fA-F]{64})"?$/.exec(headers.get("x-linked-etag")?.trim() ?? "");
  if (etag) into.sha256 = etag[1].toLowerCase();
  const size = Number(headers.get("x-linked-size") ?? NaN);
  if (Number.isSafeInteger(size) && size > 0) into.sizeBytes = size;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * fetch that follows redirects itself (at most 10), so each hop's headers can be read, and that
 * sends the token only to the endpoint's own origin (Hugging Face redirects to a CDN).
 */
async function fetchFollowing(
  doFetch: typeof fetch,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ response: Response; declared: DeclaredFile }> {
  const declared: DeclaredFile = { sha256: null, sizeBytes: null };
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; ; hop++) {
    const { authorization, ...rest } = headers;
    const hopHeaders = new URL(current).origin === origin || authorization === undefined ? headers : rest;
    const response = await doFetch(current, { headers: hopHeaders, signal, redirect: "manual" });
    readDeclared(response.headers, declared);
    const location = response.headers.get("location");
    if (!REDIRECTS.has(response.status) || !location) return { response, declared };
    await response.body?.cancel();
    if (hop >= 10) throw new Error(`more than 10 redirects, the last to ${location}`);
    current = new URL(location, current).toString();
  }
}

/**
 * Fills the .partial file, resuming and retrying; returns once the server has sent it all, with
 * the SHA-256 the endpoint declared for the file (null when it declared none).
 */
async function transfer(
  spec: DownloadSpec,
  url: string,
  endpoint: string,
  options: DownloadOptions,
): Promise<{ resumedFromBytes: number; declaredSha256: string | null }> {
  const partial = partialPathFor(spec.destPath);
  const metaPath = `${partial}.json`;
  const doFetch = options.fetch ?? fetch;
  const maxRetries = options.maxRetries ?? 3;
  const userSignal = options.signal;
  const expectedSize = spec.expectedSizeBytes ?? null;
  const catalogSha = spec.sha256?.toLowerCase() ?? null;

  let meta = await readMeta(metaPath);
  if (!meta || meta.url !== url) {
    // A partial without its record, or from another URL, cannot be safely continued.
    await fs.rm(partial, { force: true });
    meta = null;
  }
  let lastFailure: DownloadError | null = null;
  let restartedFromZero = false;
  const refuse = (what: string): DownloadError =>
    new DownloadError(
      "verifyFailed",
      url,
      isMirror(endpoint)
        ? `${url} ${what}: the mirror ${endpoint} (localCode.downloadEndpoint) serves a different file. Nothing was downloaded. ` +
            `Use ${DEFAULT_ENDPOINT} or a mirror with the same files, or set the model setting to the absolute path of a .gguf you have.`
        : `${url} ${what}: the file changed since the catalog was made. Nothing was downloaded. ` +
            `Choose another quant, or set the model setting to the absolute path of a .gguf you have.`,
    );

  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    // An abort ends the wait early; the check below turns it into the cancellation error.
    if (attempt > 0)
      await delay((options.retryDelayMs ?? 1000) * attempt, undefined, { signal: userSignal }).catch(() => undefined);
    if (userSignal?.aborted) throw cancelled(url);
    let offset = await fileSize(partial);
    const knownTotal = expectedSize ?? meta?.totalBytes ?? null;
    if (knownTotal !== null && offset === knownTotal)
      return { resumedFromBytes: offset, declaredSha256: meta?.sha256 ?? null };
    if (knownTotal !== null && offset > knownTotal) {
      await fs.rm(partial, { force: true });
      offset = 0;
    }
    if (attempt === 0 && expectedSize !== null)
      await ensureDiskSpace(spec.destPath, expectedSize - offset, url, options);

    const stall = new AbortController();
    const signal = userSignal ? AbortSignal.any([userSignal, stall.signal]) : stall.signal;
    const stallMs = options.stallTimeoutMs ?? 60_000;
    let stallTimer = setTimeout(() => stall.abort(), stallMs);
    const resetStall = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => stall.abort(), stallMs);
    };
    // identity: byte offsets and Content-Length must refer to the file itself, not a compressed stream.
    const headers: Record<string, string> = { "user-agent": "local-code-assistant", "accept-encoding": "identity" };
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (meta?.etag) headers["if-range"] = meta.etag;
    }

    let response: Response;
    let declared: DeclaredFile;
    try {
      ({ response, declared } = await fetchFollowing(doFetch, url, headers, signal));
    } catch (error) {
      clearTimeout(stallTimer);
      if (userSignal?.aborted) throw cancelled(url);
      lastFailure = offlineError(url, stall.signal.aborted ? `no answer for ${stallMs} ms` : causeCode(error));
      continue;
    }

    try {
      if (response.status === 416 && offset > 0 && !restartedFromZero) {
        // The partial is at least as long as the remote file: start over once, for free.
        await response.body?.cancel();
        await fs.rm(partial, { force: true });
        meta = null;
        restartedFromZero = true;
        attempt--;
        continue;
      }
      if (response.status >= 500 || response.status === 429) {
        await response.body?.cancel();
        lastFailure = httpStatusError(url, response.status, response.statusText, endpoint, spec.repo);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw httpStatusError(url, response.status, response.statusText, endpoint, spec.repo);
      }
      const discard = async () => {
        await response.body?.cancel();
        await fs.rm(partial, { force: true });
        await fs.rm(metaPath, { force: true });
      };
      if (catalogSha && declared.sha256 && declared.sha256 !== catalogSha) {
        await discard();
        throw refuse(`declares SHA-256 ${declared.sha256}, but the catalog has ${catalogSha} for ${spec.file}`);
      }
      const range = response.status === 206 ? parseContentRange(response.headers.get("content-range")) : null;
      const append = range !== null && range.start === offset;
      if (append && meta?.sha256 && declared.sha256 && declared.sha256 !== meta.sha256 && !restartedFromZero) {
        // The partial is part of an older version of the file: start over once.
        await discard();
        meta = null;
        restartedFromZero = true;
        attempt--;
        continue;
      }
      if (response.status === 206 && !append) {
        await response.body?.cancel();
        await fs.rm(partial, { force: true });
        continue;
      }
      const length = Number(response.headers.get("content-length") ?? NaN);
      const total = append ? (range?.total ?? null) : Number.isFinite(length) ? length : null;
      const startAt = append ? offset : 0;
      const remoteSize = total ?? declared.sizeBytes;
      if (expectedSize !== null && remoteSize !== null && remoteSize !== expectedSize) {
        await discard();
        throw refuse(`is ${remoteSize} bytes, but the catalog expects ${expectedSize} bytes for ${spec.file}`);
      }
      if (total !== null) await ensureDiskSpace(spec.destPath, total - startAt, url, options);
      const sha256 = declared.sha256 ?? (append ? (meta?.sha256 ?? null) : null);
      meta = { url, etag: response.headers.get("etag"), totalBytes: total, sha256 };
      await fs.writeFile(metaPath, JSON.stringify(meta));

      // No more than the file can be: a body that runs past the known size is stopped there.
      const limit = expectedSize ?? total ?? declared.sizeBytes;
      const received = await writeBody(
        response,
        partial,
        append,
        startAt,
        total,
        url,
        options.onProgress,
        resetStall,
        limit,
      );
      if (received === "overran") {
        await fs.rm(partial, { force: true });
        await fs.rm(metaPath, { force: true });
        throw refuse(`sent more than the ${limit} bytes ${spec.file} has; it was stopped at that size and deleted`);
      }
      if (total === null || received >= total) return { resumedFromBytes: startAt, declaredSha256: sha256 };
      lastFailure = interrupted(url, received, total, "the server closed the connection early");
    } catch (error) {
      if (error instanceof DownloadError) throw error;
      if (isDiskFull(error)) {
        // Resuming cannot succeed until space is freed, and the partial file is what fills the
        // disk: delete it and say so, rather than call this a resumable interruption.
        const got = await fileSize(partial);
        await fs.rm(partial, { force: true });
        await fs.rm(metaPath, { force: true });
        throw diskFullWhileWriting(spec.destPath, url, got, meta?.totalBytes ?? expectedSize);
      }
      if (userSignal?.aborted) throw cancelled(url);
      const got = await fileSize(partial);
      lastFailure = interrupted(
        url,
        got,
        meta?.totalBytes ?? null,
        stall.signal.aborted ? `no data for ${stallMs} ms` : causeCode(error),
      );
    } finally {
      clearTimeout(stallTimer);
    }
  }
  throw lastFailure ?? interrupted(url, await fileSize(partial), meta?.totalBytes ?? null, "unknown");
}

async function writeBody(
  response: Response,
  partial: string,
  append: boolean,
  startAt: number,
  total: number | null,
  url: string,
  onProgress: DownloadOptions["onProgress"],
  onData: () => void,
  limit: number | null,
): Promise<number | "overran"> {
  const out = await fs.open(partial, append ? "a" : "w");
  let received = startAt;
  let lastReport = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    onProgress({ url, receivedBytes: received, totalBytes: total, resumedFromBytes: startAt });
  };
  try {
    report(true);
    if (!response.body) return received;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (limit !== null && received + value.length > limit) {
        await out.write(value.subarray(0, limit - received));
        await reader.cancel();
        return "overran";
      }
      await out.write(value);
      received += value.length;
      onData();
      report(false);
    }
    report(true);
    return received;
  } finally {
    await out.close();
  }
}

async function ensureDiskSpace(
  destPath: string,
  neededBytes: number,
  url: string,
  options: DownloadOptions,
): Promise<void> {
  const statfs = options.statfs ?? ((dir: string) => fs.statfs(dir));
  const dir = path.dirname(destPath);
  await fs.mkdir(dir, { recursive: true });
  const stats = await statfs(dir);
  const available = Number(stats.bavail) * Number(stats.bsize);
  const needed = neededBytes + (options.diskReserveBytes ?? 64 * 1024 * 1024);
  if (available < needed) {
    throw new DownloadError(
      "diskFull",
      url,
      `Not enough disk space in ${dir} for ${url}: it needs ${formatBytes(needed)}, ${formatBytes(available)} are free. Free some space or move the models folder.`,
    );
  }
}

function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

function diskFullWhileWriting(destPath: string, url: string, written: number, total: number | null): DownloadError {
  const of = total !== null ? ` of ${formatBytes(total)}` : "";
  return new DownloadError(
    "diskFull",
    url,
    `The disk is full: downloading ${url} to ${path.dirname(destPath)} stopped after ${formatBytes(written)}${of}. ` +
      `The partial file was deleted to give the space back. Free some space or move the models folder (localCode.modelsFolder), then download again.`,
  );
}

function cancelled(url: string): DownloadError {
  return new DownloadError(
    "cancelled",
    url,
    `Download of ${url} cancelled. The partial file is kept; downloading again resumes it.`,
  );
}

function interrupted(url: string, received: number, total: number | null, why: string): DownloadError {
  const of = total !== null ? ` of ${total}` : "";
  return new DownloadError(
    "interrupted",
    url,
    `Download of ${url} interrupted after ${received}${of} bytes (${why}). The partial file is kept; downloading again resumes it.`,
  );
}
