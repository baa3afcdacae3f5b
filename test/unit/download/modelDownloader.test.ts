import * as assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DownloadError } from "../../../src/client/download/downloadError";
import {
  catalogDownloadSpec,
  downloadModelFile,
  modelFileUrl,
  partialPathFor,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadSpec,
} from "../../../src/client/download/modelDownloader";
import { findModel } from "../../../src/core/models/catalog";
import { CatalogModelSchema } from "../../../src/core/models/catalogSchema";
import { parseSettings } from "../../../src/core/config/settings";
import { makeFakeGguf, sha256, startFakeServer, type FakeServer } from "../../support/ggufMirrorServer";

const REPO = "acme/tiny-GGUF";
const FILE = "tiny-Q8_0.gguf";
const PATH = `/${REPO}/resolve/main/${FILE}`;

function lstatExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `file` holds at least `bytes` bytes (the client has written what it was sent). */
async function untilOnDisk(file: string, bytes: number): Promise<void> {
  while (!existsSync(file) || statSync(file).size < bytes) await new Promise((r) => setTimeout(r, 5));
}

/** Holds the next response at `offset`, and drops the connection once the client has those bytes on disk. */
function dropAt(server: FakeServer, offset: number, partial: string): Promise<void> {
  const held = server.holdNextAt(offset);
  return held.reached.then(() => untilOnDisk(partial, offset)).then(() => held.drop());
}

function isDownloadError(code: DownloadError["code"], ...mustMention: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof DownloadError, `not a DownloadError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const text of mustMention)
      assert.ok(error.message.includes(text), `message lacks "${text}": ${error.message}`);
    return true;
  };
}

describe("model downloader (real HTTP server on 127.0.0.1)", function () {
  this.timeout(20_000);
  let dir: string;
  let server: FakeServer | undefined;
  const gguf = makeFakeGguf();
  const fast: DownloadOptions = { retryDelayMs: 0, maxRetries: 0 };

  const spec = (extra: Partial<DownloadSpec> = {}): DownloadSpec => ({
    repo: REPO,
    file: FILE,
    destPath: path.join(dir, "models", REPO, FILE),
    endpoint: server!.endpoint,
    ...extra,
  });
  const url = () => `${server!.endpoint}${PATH}`;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lca-dl-"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("downloads, reports progress, verifies and leaves only the final file", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const progress: DownloadProgress[] = [];
    const s = spec({ sha256: sha256(gguf), expectedSizeBytes: gguf.length });
    const result = await downloadModelFile(s, { ...fast, onProgress: (p) => progress.push(p) });
    assert.equal(result.path, s.destPath);
    assert.equal(result.url, url());
    assert.equal(result.sha256, sha256(gguf));
    assert.equal(sha256(readFileSync(s.destPath)), sha256(gguf));
    assert.equal(progress.at(-1)?.receivedBytes, gguf.length);
    assert.equal(progress.at(-1)?.totalBytes, gguf.length);
    for (const leftover of [partialPathFor(s.destPath), `${partialPathFor(s.destPath)}.json`, `${s.destPath}.lock`])
      assert.ok(!existsSync(leftover), leftover);

    const again = await downloadModelFile(s, fast);
    assert.equal(again.alreadyPresent, true);
    assert.equal(server.requests.length, 1, "a verified file is not fetched again");
  });

  it("resumes an interrupted transfer from the partial offset with a Range request", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const s = spec();
    const partial = partialPathFor(s.destPath);
    void dropAt(server, 100_000, partial);
    await assert.rejects(downloadModelFile(s, fast), isDownloadError("interrupted", url(), "resumes"));
    const offset = statSync(partial).size;
    assert.equal(offset, 100_000, "the partial holds what arrived");
    assert.ok(!existsSync(s.destPath), "no final file from a partial transfer");

    const result = await downloadModelFile(s, fast);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1].range, `bytes=${offset}-`);
    assert.ok(server.requests[1].ifRange, "resume is conditional on the same remote file");
    assert.equal(result.resumedFromBytes, offset);
    assert.equal(sha256(readFileSync(s.destPath)), sha256(gguf));
  });

  it("retries by itself, resuming where the dropped connection stopped", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const s = spec({ sha256: sha256(gguf) });
    const partial = partialPathFor(s.destPath);
    const srv = server;
    void dropAt(srv, 50_000, partial).then(() => dropAt(srv, 100_000, partial));
    const result = await downloadModelFile(s, { retryDelayMs: 0, maxRetries: 3 });
    assert.deepEqual(
      server.requests.map((r) => [r.range, r.status]),
      [
        [undefined, 200],
        ["bytes=50000-", 206],
        ["bytes=100000-", 206],
      ],
    );
    assert.equal(result.sha256, sha256(gguf));
  });

  it("cancel leaves a resumable partial, never a final file", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf }, chunkDelayMs: 15 });
    const s = spec();
    const controller = new AbortController();
    const run = downloadModelFile(s, {
      ...fast,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.receivedBytes > 32 * 1024) controller.abort();
      },
    });
    await assert.rejects(run, isDownloadError("cancelled", url(), "resumes"));
    const offset = statSync(partialPathFor(s.destPath)).size;
    assert.ok(offset > 0 && offset < gguf.length);
    assert.ok(!existsSync(s.destPath));
    assert.ok(!existsSync(`${s.destPath}.lock`), "the lock is released on cancel");

    await downloadModelFile(s, fast);
    assert.equal(server.requests.at(-1)?.range, `bytes=${offset}-`);
    assert.equal(sha256(readFileSync(s.destPath)), sha256(gguf));
  });

  it("an already-aborted signal does not even connect", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    await assert.rejects(
      downloadModelFile(spec(), { ...fast, signal: AbortSignal.abort() }),
      isDownloadError("cancelled"),
    );
    assert.equal(server.requests.length, 0);
  });

  it("refuses a file that is not GGUF, deleting it", async () => {
    const junk = Buffer.concat([Buffer.from("<html>"), gguf]);
    server = await startFakeServer({ files: { [PATH]: junk } });
    const s = spec();
    await assert.rejects(
      downloadModelFile(s, fast),
      isDownloadError("verifyFailed", url(), "not a GGUF file", "deleted"),
    );
    assert.ok(!existsSync(s.destPath));
    assert.ok(!existsSync(partialPathFor(s.destPath)));
  });

  it("refuses a truncated GGUF whose header describes more data than arrived", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf.subarray(0, gguf.length - 1000) } });
    const s = spec();
    await assert.rejects(downloadModelFile(s, fast), isDownloadError("verifyFailed", url(), "truncated"));
    assert.ok(!existsSync(s.destPath));
  });

  it("refuses a SHA-256 mismatch", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const s = spec({ sha256: "0".repeat(64) });
    await assert.rejects(downloadModelFile(s, fast), isDownloadError("verifyFailed", url(), "SHA-256"));
    assert.ok(!existsSync(s.destPath));
  });

  it("refuses before downloading when the remote size differs from the catalog's exact size", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const s = spec({ expectedSizeBytes: gguf.length + 10 });
    await assert.rejects(
      downloadModelFile(s, fast),
      isDownloadError(
        "verifyFailed",
        url(),
        "catalog expects",
        "the mirror",
        "serves a different file",
        "Nothing was downloaded",
        "https://huggingface.co",
      ),
    );
    assert.ok(!existsSync(s.destPath) && !existsSync(partialPathFor(s.destPath)));
  });

  it("404 and 401/403 name the URL and say what to do", async () => {
    server = await startFakeServer({ files: {} });
    await assert.rejects(
      downloadModelFile(spec(), fast),
      isDownloadError("notFound", url(), `${server.endpoint}/${REPO}/tree/main`),
    );
    await server.close();
    for (const status of [401, 403]) {
      server = await startFakeServer({ files: {}, status });
      await assert.rejects(
        downloadModelFile(spec({ token: "hf_x" }), fast),
        isDownloadError("unauthorized", url(), "token", "licence", String(status)),
      );
      assert.equal(server.requests[0].authorization, "Bearer hf_x");
      await server.close();
    }
    server = undefined;
  });

  it("offline: a clear message with the URL and what to do", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const endpoint = `http://127.0.0.1:${port}`;
    const s: DownloadSpec = { repo: REPO, file: FILE, destPath: path.join(dir, FILE), endpoint };
    await assert.rejects(
      downloadModelFile(s, fast),
      isDownloadError("offline", `${endpoint}${PATH}`, "ECONNREFUSED", "mirror"),
    );
  });

  it("checks free disk space before starting", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const statfs = async () => ({ bavail: 10, bsize: 4096 });
    await assert.rejects(
      downloadModelFile(spec({ expectedSizeBytes: gguf.length }), { ...fast, statfs }),
      isDownloadError("diskFull", url(), "disk space"),
    );
    assert.equal(server.requests.length, 0, "nothing requested when the size is known up front");
    await assert.rejects(downloadModelFile(spec(), { ...fast, statfs }), isDownloadError("diskFull"));
    assert.ok(!existsSync(partialPathFor(spec().destPath)) || statSync(partialPathFor(spec().destPath)).size === 0);
  });

  // Issue #16, faults: a full disk, a body longer than the file, a repo that escapes, credentials.
  it("a disk that fills up mid-transfer is diskFull (not a resumable interruption) and the partial is deleted", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const s = spec();
    const partial = partialPathFor(s.destPath);
    mkdirSync(path.dirname(partial), { recursive: true });
    // The partial file is /dev/full: every write fails with ENOSPC, as on a full disk.
    writeFileSync(`${partial}.json`, JSON.stringify({ url: url(), etag: null, totalBytes: null }));
    symlinkSync("/dev/full", partial);
    await assert.rejects(downloadModelFile(s, { ...fast, maxRetries: 2 }), (error: unknown) => {
      isDownloadError("diskFull", url(), "disk is full", "partial file was deleted")(error);
      assert.doesNotMatch((error as Error).message, /resumes/);
      return true;
    });
    assert.equal(server.requests.length, 1, "not retried: retrying cannot help a full disk");
    assert.ok(!existsSync(partial) && !lstatExists(partial), "the partial file is gone");
    assert.ok(!existsSync(`${partial}.json`));
  });

  it("a body longer than the expected size is stopped at that size and refused", async () => {
    const longer = Buffer.concat([gguf, Buffer.alloc(1 << 20, 7)]);
    // No Content-Length (chunked), so only the catalog's size bounds it.
    const raw = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(longer.subarray(0, 100_000));
      res.end(longer.subarray(100_000));
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    try {
      const endpoint = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
      const s: DownloadSpec = {
        repo: REPO,
        file: FILE,
        destPath: path.join(dir, "m", FILE),
        endpoint,
        expectedSizeBytes: gguf.length,
      };
      const seen: number[] = [];
      await assert.rejects(
        downloadModelFile(s, { ...fast, onProgress: (p) => seen.push(p.receivedBytes) }),
        isDownloadError("verifyFailed", `sent more than the ${gguf.length} bytes`),
      );
      assert.ok(Math.max(...seen) <= gguf.length, `wrote ${Math.max(...seen)} bytes`);
      assert.ok(!existsSync(partialPathFor(s.destPath)) && !existsSync(s.destPath));
    } finally {
      await new Promise((r) => raw.close(r));
    }
  });

  it("a repo or file that escapes the models folder is refused before any write or request", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    for (const [repo, file] of [
      ["../..", FILE],
      ["acme/..", FILE],
      ["..", FILE],
      ["acme/x", "../../evil.gguf"],
      ["acme/x", "/etc/evil.gguf"],
      ["a\\b/c", FILE],
    ]) {
      const s: DownloadSpec = {
        repo,
        file,
        destPath: path.join(dir, "models", "x", "y.gguf"),
        endpoint: server.endpoint,
      };
      await assert.rejects(
        downloadModelFile(s, fast),
        isDownloadError("badRequest", "Nothing was written"),
        `${repo} ${file}`,
      );
    }
    assert.equal(server.requests.length, 0);
    assert.ok(!existsSync(path.join(dir, "models")), "no folder was created");
    // A catalog entry with such a repo does not even become a spec, and the catalog schema refuses it.
    const model = findModel("qwen2.5-coder-1.5b")!;
    const q8 = model.quants.find((q) => q.quant === "Q8_0")!;
    assert.throws(
      () => catalogDownloadSpec(model, { ...q8, repo: "../.." }, dir),
      /refusing to download, the repo "\.\.\/\.\."/,
    );
    assert.equal(CatalogModelSchema.safeParse({ ...model, quants: [{ ...q8, repo: "../.." }] }).success, false);
  });

  it("an endpoint with user:password@ is refused, and the password is never in the message", async () => {
    const s: DownloadSpec = {
      repo: REPO,
      file: FILE,
      destPath: path.join(dir, FILE),
      endpoint: "http://alice:hunter2-secret@127.0.0.1:9",
    };
    await assert.rejects(downloadModelFile(s, fast), (error: unknown) => {
      isDownloadError("badRequest", "user name or password")(error);
      assert.doesNotMatch((error as Error).message, /hunter2/);
      assert.doesNotMatch((error as DownloadError).url, /hunter2/);
      return true;
    });
    const settings = parseSettings({ downloadEndpoint: "https://bob:pa55word@mirror.example" });
    assert.deepEqual(settings.invalidKeys, ["downloadEndpoint"]);
    assert.equal(settings.settings.downloadEndpoint, "https://huggingface.co");
    assert.doesNotMatch(settings.errors.join(" "), /pa55word/);
  });

  it("restarts from zero when the server ignores Range, and follows redirects", async () => {
    server = await startFakeServer({
      files: { "/cdn/blob": gguf },
      ignoreRange: true,
      redirects: { [PATH]: "/cdn/blob" },
    });
    const s = spec();
    mkdirSync(path.dirname(s.destPath), { recursive: true });
    writeFileSync(partialPathFor(s.destPath), gguf.subarray(0, 5000));
    writeFileSync(
      `${partialPathFor(s.destPath)}.json`,
      JSON.stringify({ url: url(), etag: null, totalBytes: gguf.length }),
    );
    const result = await downloadModelFile(s, fast);
    assert.equal(server.requests[0].range, "bytes=5000-");
    assert.equal(result.resumedFromBytes, 0);
    assert.equal(sha256(readFileSync(s.destPath)), sha256(gguf));
  });

  it("verifies the SHA-256 an HF-style endpoint declares (X-Linked-Etag), also across a resume", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf }, hfRedirects: true });
    const s = spec();
    void dropAt(server, 60_000, partialPathFor(s.destPath));
    await assert.rejects(downloadModelFile(s, fast), isDownloadError("interrupted"));
    const result = await downloadModelFile(s, fast);
    assert.equal(result.sha256, sha256(gguf));
    assert.equal(result.sha256Source, "endpoint");
    assert.equal(result.resumedFromBytes, 60_000);
    assert.deepEqual(
      server.requests.map((r) => [r.url.startsWith("/cdn/") ? "cdn" : r.url, r.status]),
      [
        [PATH, 302],
        ["cdn", 200],
        [PATH, 302],
        ["cdn", 206],
      ],
    );
  });

  it("refuses and deletes a file whose bytes do not match the SHA-256 the endpoint declared", async () => {
    const tampered = Buffer.from(gguf);
    tampered[tampered.length - 1] ^= 0xff;
    server = await startFakeServer({
      files: { [PATH]: { body: tampered, declaredSha256: sha256(gguf) } },
      hfRedirects: true,
    });
    const s = spec();
    await assert.rejects(
      downloadModelFile(s, fast),
      isDownloadError(
        "verifyFailed",
        FILE,
        url(),
        "SHA-256",
        sha256(gguf),
        "declared",
        "deleted",
        "nothing was loaded",
        "mirror",
      ),
    );
    assert.ok(!existsSync(s.destPath) && !existsSync(partialPathFor(s.destPath)));
  });

  it("refuses before downloading when the endpoint declares another SHA-256 or size than the catalog", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf }, hfRedirects: true });
    await assert.rejects(
      downloadModelFile(spec({ sha256: "a".repeat(64) }), fast),
      isDownloadError("verifyFailed", "a".repeat(64), "Nothing was downloaded"),
    );
    await assert.rejects(
      downloadModelFile(spec({ expectedSizeBytes: gguf.length - 1 }), fast),
      isDownloadError("verifyFailed", `${gguf.length} bytes`, "catalog expects"),
    );
    assert.deepEqual(
      server.requests.filter((r) => r.url.startsWith("/cdn/")).map((r) => r.status),
      [200, 200],
      "both stopped at the headers",
    );
    assert.ok(!existsSync(partialPathFor(spec().destPath)));
  });

  it("sends the token to the endpoint's origin only, not to where it redirects", async () => {
    const cdn = await startFakeServer({ files: { "/blob": gguf } });
    try {
      server = await startFakeServer({ files: {}, redirects: { [PATH]: `${cdn.endpoint}/blob` } });
      await downloadModelFile(spec({ token: "hf_secret" }), fast);
      assert.equal(server.requests[0].authorization, "Bearer hf_secret");
      assert.equal(cdn.requests[0].authorization, undefined);
    } finally {
      await cdn.close();
    }
  });

  it("does not continue a partial file that has no record of its URL", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf } });
    const s = spec();
    mkdirSync(path.dirname(s.destPath), { recursive: true });
    writeFileSync(partialPathFor(s.destPath), Buffer.alloc(5000, 7));
    await downloadModelFile(s, fast);
    assert.equal(server.requests[0].range, undefined);
    assert.equal(sha256(readFileSync(s.destPath)), sha256(gguf));
  });

  it("one download per file at a time", async () => {
    server = await startFakeServer({ files: { [PATH]: gguf }, chunkDelayMs: 20 });
    const first = downloadModelFile(spec(), fast);
    for (let i = 0; i < 500 && server.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(downloadModelFile(spec(), fast), isDownloadError("busy", url()));
    await first;
  });
});

describe("download helpers", () => {
  it("builds resolve URLs for Hugging Face or a mirror", () => {
    assert.equal(
      modelFileUrl("https://huggingface.co", "a/b", "c.gguf"),
      "https://huggingface.co/a/b/resolve/main/c.gguf",
    );
    assert.equal(
      modelFileUrl("https://hf-mirror.com/", "a/b", "dir/c d.gguf", "v1"),
      "https://hf-mirror.com/a/b/resolve/v1/dir/c%20d.gguf",
    );
  });

  it("turns a catalog quant into a spec: exact sizes only, <dir>/<owner>/<repo>/<file>", () => {
    const q15 = findModel("qwen2.5-coder-1.5b")!;
    const q8 = catalogDownloadSpec(
      q15,
      q15.quants.find((q) => q.quant === "Q8_0")!,
      "/m",
    );
    assert.equal(q8.expectedSizeBytes, 1646573056);
    assert.equal(
      q8.destPath,
      path.join("/m", "ggml-org", "Qwen2.5-Coder-1.5B-Q8_0-GGUF", "qwen2.5-coder-1.5b-q8_0.gguf"),
    );
    assert.equal(q8.endpoint, "https://huggingface.co");
    const q4 = catalogDownloadSpec(
      q15,
      q15.quants.find((q) => q.quant === "Q4_K_M")!,
      "/m",
      "https://mirror.example",
    );
    assert.equal(q4.expectedSizeBytes, null, "a rounded listing size is not a verification target");
    assert.equal(q4.endpoint, "https://mirror.example");
    const q7 = findModel("qwen2.5-coder-7b")!;
    assert.throws(
      () =>
        catalogDownloadSpec(
          q7,
          q7.quants.find((q) => q.file === null)!,
          "/m",
        ),
      /no known file/,
    );
  });
});
