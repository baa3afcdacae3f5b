// Model downloads in the real VS Code, driven as a user: Select Model (and the first-run prompt)
// against a Hugging Face mirror that the test runs on 127.0.0.1 (localCode.downloadEndpoint).
// The mirror serves the deterministic fixture model under catalog file names, the way
// huggingface.co serves LFS files (a redirect carrying X-Linked-Etag/X-Linked-Size, then the
// bytes with Range support), and holds or drops transfers when the test says so.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { findModel, findQuant } from "../../../src/core/models/catalog";
import { ensureFixture, expectedCompletion } from "../../fixtures/gguf/index";
import { resolvePath, sha256, startFakeServer, type FakeServer } from "../../support/ggufMirrorServer";
import { scenario, type ScenarioContext } from "../lib/scenario";

const MODEL = findModel("qwen2.5-coder-1.5b")!;
const MODEL_LABEL = MODEL.displayName; // "Qwen2.5-Coder 1.5B (base, FIM)"
const TITLE = "Qwen2.5-Coder 1.5B"; // shortModelName: download titles

/** Repo, file and URL path of a catalog quant of MODEL. */
function quant(name: string): { repo: string; file: string; urlPath: string; exactSize: number | null } {
  const q = findQuant(MODEL, name);
  assert.ok(q?.repo && q.file, `${MODEL.id} ${name} has a file in the catalog`);
  return {
    repo: q.repo,
    file: q.file,
    urlPath: resolvePath(q.repo, q.file),
    exactSize: q.sizeKind === "exact" ? q.sizeBytes : null,
  };
}

/** Where the extension puts a catalog file under localCode.modelsFolder. */
function destPath(folder: string, q: { repo: string; file: string }): string {
  return path.join(folder, ...q.repo.split("/"), ...q.file.split("/"));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every file under a folder (relative paths), to show nothing was left behind. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

async function untilFileSize(file: string, bytes: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file) || fs.statSync(file).size < bytes) {
    if (Date.now() > deadline)
      throw new Error(
        `${file} never reached ${bytes} bytes (has ${fs.existsSync(file) ? fs.statSync(file).size : "no file"})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The user setting as written in settings.json (the test's view of what the extension wrote). */
function userSetting(s: ScenarioContext, key: string): unknown {
  return (JSON.parse(fs.readFileSync(s.session.server.settingsFile, "utf8")) as Record<string, unknown>)[key];
}

/** Local Code: Select Model -> Completion model -> MODEL -> the quant. */
async function selectQuant(s: ScenarioContext, name: string): Promise<void> {
  await s.wb.runCommand("Local Code: Select Model");
  await s.wb.pickQuickItem("Local Code: Select Model", "Completion model");
  await s.wb.pickQuickItem("Completion model: choose a model", MODEL_LABEL);
  await s.wb.pickQuickItem(`${TITLE}: choose a quantization`, name);
}

/** A mirror for one scenario and a fresh models folder (call `close` in the scenario's `after`). */
function mirrorFor(label: string) {
  const state: { mirror?: FakeServer; folder: string; fixture: Buffer } = { folder: "", fixture: Buffer.alloc(0) };
  const beforeOpen = async (s: ScenarioContext) => {
    state.fixture = fs.readFileSync(await ensureFixture("bigram-q8_0"));
    // Slow enough that the progress notification is seen, fast enough for a test (~1 s for the file).
    state.mirror = await startFakeServer({ files: {}, hfRedirects: true, chunkBytes: 16 * 1024, chunkDelayMs: 30 });
    state.folder = path.join(s.session.runDir, "models", label);
    return { "localCode.downloadEndpoint": state.mirror.endpoint, "localCode.modelsFolder": state.folder };
  };
  const close = async () => state.mirror?.close();
  return { state, beforeOpen, close };
}

// --- a download that is interrupted, resumes and loads ------------------------------------------

{
  const { state, beforeOpen, close } = mirrorFor("resume");
  const Q4 = quant("Q4_K_M");
  const Q8 = quant("Q8_0");
  scenario(
    "model download: first-run prompt, progress, dropped connection, resume, load",
    { settings: { "localCode.completion.model": "auto" }, beforeOpen },
    (s) => {
      after(close);

      it("first run, Download: auto's pick from a mirror that serves another file is refused, nothing is loaded", async () => {
        assert.ok(Q8.exactSize, "the catalog knows Q8_0's exact size");
        state.mirror!.setFile(Q8.urlPath, state.fixture);
        const prompt = /download the recommended completion model Qwen2\.5-Coder 1\.5B Q8_0 \(1\.65 GB\)\?/;
        await s.wb.step("first-run prompt", () => s.wb.waitForNotification(prompt, 60_000));
        await s.wb.clickNotificationButton(prompt, "Download");
        const message = await s.wb.step("refused", () =>
          s.wb.waitForNotification(
            new RegExp(
              `is ${state.fixture.length} bytes, but the catalog expects ${Q8.exactSize} bytes for ${escape(Q8.file)}`,
            ),
            60_000,
          ),
        );
        assert.match(message, new RegExp(escape(`${state.mirror!.endpoint}${Q8.urlPath}`)));
        assert.match(
          message,
          /the mirror http:\/\/127\.0\.0\.1:\d+ \(localCode\.downloadEndpoint\) serves a different file\. Nothing was downloaded\. Use https:\/\/huggingface\.co or a mirror with the same files/,
        );
        assert.deepEqual(filesUnder(state.folder), [], "nothing kept");
        assert.match(await s.wb.waitForStatusBarItem(/Local Code: /), /Local Code: no model/);
        await s.wb.clearNotifications();
      });

      it("Select Model: a progress notification with a percentage, a dropped connection, a Range resume, a verified file, loaded", async () => {
        const mirror = state.mirror!;
        mirror.setFile(Q4.urlPath, state.fixture);
        const target = destPath(state.folder, Q4);
        const partial = `${target}.partial`;
        const first = mirror.holdNextAt(16 * 1024 * 14); // about half of the file
        await s.wb.step("select Q4_K_M", () => selectQuant(s, "Q4_K_M"));
        const progress = new RegExp(`Downloading ${escape(TITLE)} Q4_K_M.*\\d+ %`);
        await first.reached;
        const shown = await s.wb.step("progress shown", () => s.wb.waitForNotification(progress, 30_000));
        assert.match(shown, /\d+ % · \d+\.\d \/ \d+\.\d MB/);
        await untilFileSize(partial, 16 * 1024 * 14);
        assert.ok(!fs.existsSync(target), "no final file before the transfer is complete");

        // The server drops the connection; the downloader resumes with a Range request.
        const second = mirror.holdNextAt(16 * 1024 * 24);
        first.drop();
        await second.reached;
        const resumed = await s.wb.step("resumed", () => s.wb.waitForNotification(/resumed at 0\.2 MB/, 30_000));
        assert.match(resumed, progress);
        second.resume();

        const status = await s.wb.step("loaded", () =>
          s.wb.waitForStatusBarItem(/Local Code: Qwen2\.5-Coder-1\.5B\.Q4_K_M\.gguf/, 90_000),
        );
        assert.match(status, /Q4_K_M\.gguf/);
        const bodies = mirror.requests.filter((r) => r.url.startsWith("/cdn/"));
        assert.deepEqual(
          bodies.slice(-2).map((r) => [r.status, r.range]),
          [
            [200, undefined],
            [206, `bytes=${16 * 1024 * 14}-`],
          ],
        );
        assert.equal(sha256(fs.readFileSync(target)), sha256(state.fixture), "the file on disk is the served file");
        assert.deepEqual(
          filesUnder(state.folder),
          [path.relative(state.folder, target)],
          "no .partial, .json or .lock left",
        );
        assert.equal(userSetting(s, "localCode.completion.model"), "qwen2.5-coder-1.5b:Q4_K_M");
      });

      it("the downloaded model answers: the fixture's exact completion as ghost text", async () => {
        await s.wb.openFile("src/empty.js");
        await s.wb.typeInEditor("let a = ", 40);
        assert.equal(
          await s.wb.step("ghost text", () => s.wb.waitForGhostText({ timeoutMs: 60_000, trigger: true })),
          expectedCompletion("let a = ").text,
        );
      });
    },
  );
}

// --- cancel, then resume ---------------------------------------------------------------------

{
  const { state, beforeOpen, close } = mirrorFor("cancel");
  const Q5 = quant("Q5_K_M");
  scenario(
    "model download: cancel keeps the partial file unused; choosing again resumes it",
    { beforeOpen, waitForStatus: /Local Code: bigram/ },
    (s) => {
      after(close);
      let keptBytes = 0;

      it("Cancel in the notification: the part is kept, nothing is loaded, the setting is unchanged", async () => {
        const mirror = state.mirror!;
        mirror.setFile(Q5.urlPath, state.fixture);
        const target = destPath(state.folder, Q5);
        const before = userSetting(s, "localCode.completion.model");
        const held = mirror.holdNextAt(16 * 1024 * 10);
        await s.wb.step("select Q5_K_M", () => selectQuant(s, "Q5_K_M"));
        await held.reached;
        const progress = new RegExp(`Downloading ${escape(TITLE)} Q5_K_M.*\\d+ %`);
        await s.wb.step("progress shown", () => s.wb.waitForNotification(progress, 30_000));
        await untilFileSize(`${target}.partial`, 16 * 1024 * 10);
        await s.wb.step("cancel", () => s.wb.clickNotificationButton(progress, "Cancel"));
        await held.clientClosed;
        const told = await s.wb.waitForNotification(
          /cancelled\. The part already downloaded is kept: choose it again to resume\./,
          30_000,
        );
        assert.match(told, new RegExp(`Download of ${escape(TITLE)} Q5_K_M cancelled`));
        keptBytes = fs.statSync(`${target}.partial`).size;
        assert.equal(keptBytes, 16 * 1024 * 10, "the partial file holds what arrived");
        assert.ok(!fs.existsSync(target), "a partial file never gets the .gguf name");
        assert.equal(userSetting(s, "localCode.completion.model"), before, "the setting still names the model in use");
        assert.match(await s.wb.waitForStatusBarItem(/Local Code: /), /Local Code: bigram/);
        await s.wb.clearNotifications();
      });

      it("choosing the same quant again resumes from the kept part and loads the verified file", async () => {
        const mirror = state.mirror!;
        const target = destPath(state.folder, Q5);
        const requestsBefore = mirror.requests.length;
        await s.wb.step("select Q5_K_M again", () => selectQuant(s, "Q5_K_M"));
        await s.wb.step("loaded", () =>
          s.wb.waitForStatusBarItem(/Local Code: Qwen2\.5-Coder-1\.5B\.Q5_K_M\.gguf/, 90_000),
        );
        const bodies = mirror.requests.slice(requestsBefore).filter((r) => r.url.startsWith("/cdn/"));
        assert.deepEqual(
          bodies.map((r) => [r.status, r.range]),
          [[206, `bytes=${keptBytes}-`]],
        );
        assert.equal(sha256(fs.readFileSync(target)), sha256(state.fixture));
        assert.equal(userSetting(s, "localCode.completion.model"), "qwen2.5-coder-1.5b:Q5_K_M");
      });
    },
  );
}

// --- refused downloads ---------------------------------------------------------------------------

{
  const { state, beforeOpen, close } = mirrorFor("refused");
  scenario(
    "model download: corrupt, truncated, missing and unreachable files are refused with the fix",
    { beforeOpen, waitForStatus: /Local Code: bigram/ },
    (s) => {
      after(close);

      /** Select Model on `name`; wait for the error; check that nothing was kept or loaded. */
      async function refused(name: string, expected: RegExp): Promise<string> {
        const before = userSetting(s, "localCode.completion.model");
        await s.wb.step(`select ${name}`, () => selectQuant(s, name));
        const message = await s.wb.step(`${name} refused`, () => s.wb.waitForNotification(expected, 60_000));
        assert.deepEqual(filesUnder(state.folder), [], "nothing kept under the models folder");
        assert.equal(userSetting(s, "localCode.completion.model"), before, "the setting is unchanged");
        assert.match(
          await s.wb.waitForStatusBarItem(/Local Code: /),
          /Local Code: bigram/,
          "the model in use stays loaded",
        );
        await s.wb.clearNotifications();
        return message;
      }

      const verifyFailed = (q: { file: string; urlPath: string }, reason: string) =>
        new RegExp(
          `${escape(q.file)} downloaded from http://127\\.0\\.0\\.1:\\d+${escape(q.urlPath)} failed verification: ${reason}`,
        );

      it("not a GGUF file (an HTML page under the model's name)", async () => {
        const q = quant("Q5_K_M");
        state.mirror!.setFile(
          q.urlPath,
          Buffer.concat([Buffer.from("<!DOCTYPE html><html>"), state.fixture.subarray(64)]),
        );
        const message = await refused("Q5_K_M", verifyFailed(q, "not a GGUF file"));
        assert.match(
          message,
          /It was deleted and nothing was loaded\. Download it again\. If it fails again, the mirror http:\/\/127\.0\.0\.1:\d+ \(localCode\.downloadEndpoint\) does not serve the file the catalog describes/,
        );
      });

      it("bytes that do not match the SHA-256 the mirror declares", async () => {
        const q = quant("Q6_K");
        const tampered = Buffer.from(state.fixture);
        tampered[tampered.length - 100] ^= 0xff;
        state.mirror!.setFile(q.urlPath, { body: tampered, declaredSha256: sha256(state.fixture) });
        const message = await refused(
          "Q6_K",
          verifyFailed(q, `SHA-256 ${sha256(tampered)}, expected ${sha256(state.fixture)}`),
        );
        assert.match(message, /the SHA-256 http:\/\/127\.0\.0\.1:\d+ declared for it/);
      });

      it("a truncated file", async () => {
        const q = quant("Q3_K_M");
        state.mirror!.setFile(q.urlPath, state.fixture.subarray(0, state.fixture.length - 4096));
        const message = await refused(
          "Q3_K_M",
          verifyFailed(q, `truncated: ${state.fixture.length - 4096} bytes, but the header describes \\d+`),
        );
        const described = Number(/header describes (\d+)/.exec(message)![1]);
        assert.ok(described > state.fixture.length - 4096 && described <= state.fixture.length, `${described}`);
      });

      it("a file the mirror does not have (404)", async () => {
        const q = quant("Q2_K");
        const message = await refused(
          "Q2_K",
          new RegExp(`Not found \\(404\\): http://127\\.0\\.0\\.1:\\d+${escape(q.urlPath)}`),
        );
        assert.match(message, /check http:\/\/127\.0\.0\.1:\d+\/mradermacher\/Qwen2\.5-Coder-1\.5B-GGUF\/tree\/main/);
      });

      it("an endpoint that refuses connections (offline)", async () => {
        const q = quant("Q2_K");
        const endpoint = state.mirror!.endpoint;
        await state.mirror!.close();
        const message = await refused(
          "Q2_K",
          new RegExp(`Cannot reach ${escape(endpoint + q.urlPath)} \\(ECONNREFUSED\\)`),
        );
        assert.match(message, /Check the network connection, or set localCode\.downloadEndpoint to a reachable mirror/);
      });
    },
  );
}
