import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureFixture, expectedCompletion } from "../fixtures/gguf/index";
import { EngineError, type EngineState } from "../../src/core/engine/engine";
import type { WorkerClient } from "../../src/client/workerClient";
import { makeClient, waitFor } from "./workerHarness";
import { execFileSync } from "node:child_process";
import { HOSTILE_HEADERS } from "../support/hostileGguf";
import { GgmlType, kv, writeGguf } from "../fixtures/gguf/ggufWriter";

describe("model worker faults", function () {
  let scratch: string;
  let model: string;

  before(async () => {
    model = await ensureFixture("bigram-q8_0");
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lca-faults-"));
    fs.chmodSync(scratch, 0o755);
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  describe("crash recovery", () => {
    let client: WorkerClient;
    const states: EngineState["kind"][] = [];
    before(() => {
      client = makeClient({ restart: { baseDelayMs: 100 } });
      client.onDidChangeState((s) => states.push(s.kind));
    });
    after(() => client.stop());

    it("a worker killed mid-generation fails that request clearly, restarts, reloads and answers the next", async () => {
      await client.load("completion", { modelPath: model, contextSize: 256 });
      const firstPid = client.pid!;
      let killed = false;
      const pending = client.generate(
        "completion",
        { kind: "complete", prompt: "0", maxTokens: 20000 },
        {
          onChunk: () => {
            if (!killed) {
              killed = true;
              process.kill(firstPid, "SIGKILL");
            }
          },
        },
      );
      await assert.rejects(
        pending,
        (e: unknown) =>
          e instanceof EngineError &&
          e.code === "workerCrashed" &&
          /stopped unexpectedly \(signal SIGKILL\)/.test(e.message),
      );
      assert.ok(states.includes("crashed"), `states: ${states.join(",")}`);
      const result = await client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 });
      assert.equal(result.text, expectedCompletion("a").text);
      assert.notEqual(client.pid, firstPid);
      assert.equal(client.modelInfo("completion")?.modelPath, model, "model reloaded after the restart");
      assert.equal(client.state.kind, "ready");
    });

    it("gives up after repeated crashes instead of restarting forever, and a manual restart recovers", async () => {
      const stormy = makeClient({ restart: { baseDelayMs: 20, maxConsecutiveCrashes: 2, stableAfterMs: 60_000 } });
      try {
        await stormy.load("completion", { modelPath: model, contextSize: 256 });
        for (let i = 0; i < 3; i++) {
          const pid = await waitFor(() => stormy.state.kind === "ready" && stormy.pid, 20_000, "worker ready");
          process.kill(pid, "SIGKILL");
          await waitFor(() => stormy.pid !== pid || stormy.state.kind === "failed", 20_000, "exit noticed");
        }
        await waitFor(() => stormy.state.kind === "failed", 20_000, "failed state");
        await assert.rejects(
          stormy.generate("completion", { kind: "complete", prompt: "a", maxTokens: 4 }),
          /crashed 3 times/,
        );
        await stormy.restart();
        const result = await stormy.generate("completion", { kind: "complete", prompt: "a", maxTokens: 3 });
        assert.equal(result.text, "bcd");
      } finally {
        await stormy.stop();
      }
    });
  });

  // Issue #16: a stopped or hung worker, loads and requests that never end, a generate during a reload.
  describe("watchdog and deadlines", () => {
    it("a stopped (SIGSTOP) worker is detected, its requests fail with a coded error, and it is restarted", async () => {
      const client = makeClient({
        restart: { baseDelayMs: 50 },
        watchdog: { heartbeatMs: 100, heartbeatTimeoutMs: 5000 },
      });
      const states: EngineState["kind"][] = [];
      client.onDidChangeState((s) => states.push(s.kind));
      try {
        await client.load("completion", { modelPath: model, contextSize: 256 });
        const pid = client.pid!;
        let stopped = false;
        const pending = client.generate(
          "completion",
          { kind: "complete", prompt: "0", maxTokens: 20000 },
          {
            onChunk: () => {
              if (!stopped) {
                stopped = true;
                process.kill(pid, "SIGSTOP");
              }
            },
          },
        );
        await assert.rejects(
          pending,
          (e: unknown) =>
            e instanceof EngineError &&
            e.code === "workerCrashed" &&
            /stopped responding: no heartbeat/.test(e.message),
        );
        assert.ok(states.includes("crashed"), `states: ${states.join(",")}`);
        await waitFor(
          () => client.state.kind === "ready" && client.pid !== pid && client.modelInfo("completion"),
          60_000,
          "restarted with the model reloaded",
        );
        assert.equal(
          (await client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 64 })).text,
          expectedCompletion("a").text,
        );
      } finally {
        await client.stop();
      }
    });

    it("a request past its deadline fails with workerTimeout, is cancelled in the worker, and the worker stays usable", async () => {
      const client = makeClient({ watchdog: { requestTimeoutMs: 300 } });
      try {
        await client.load("completion", { modelPath: model, contextSize: 256 });
        await assert.rejects(
          client.generate("completion", { kind: "complete", prompt: "0", maxTokens: 20000 }),
          (e: unknown) =>
            e instanceof EngineError &&
            e.code === "workerTimeout" &&
            /generate request did not finish within 300 ms/.test(e.message),
        );
        assert.equal(client.inFlight, 0);
        assert.equal(
          (await client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 8 })).text,
          expectedCompletion("a", 8).text,
        );
        const status = await client.status();
        assert.equal(status.busy, false, "the timed-out generation was cancelled in the worker");
      } finally {
        await client.stop();
      }
    });

    it("a load past its deadline fails with workerTimeout; the next load works", async () => {
      const client = makeClient({ watchdog: { loadTimeoutMs: 1 } });
      try {
        await client.start();
        await assert.rejects(
          client.load("completion", { modelPath: model, contextSize: 256 }),
          (e: unknown) =>
            e instanceof EngineError &&
            e.code === "workerTimeout" &&
            /Loading the model did not finish/.test(e.message),
        );
      } finally {
        await client.stop();
      }
      const ok = makeClient();
      try {
        assert.equal((await ok.load("completion", { modelPath: model, contextSize: 256 })).modelPath, model);
      } finally {
        await ok.stop();
      }
    });

    it("a generate sent while its slot reloads waits for the reload (no 'Object is disposed')", async () => {
      const client = makeClient();
      try {
        await client.load("completion", { modelPath: model, contextSize: 256 });
        for (const contextSize of [512, 1024, 256]) {
          const reload = client.load("completion", { modelPath: model, contextSize });
          const generated = client.generate("completion", { kind: "complete", prompt: "a", maxTokens: 16 });
          const [info, result] = await Promise.all([reload, generated]);
          assert.equal(info.contextSize, contextSize);
          assert.equal(result.text, expectedCompletion("a", 16).text);
        }
      } finally {
        await client.stop();
      }
    });
  });

  describe("bad model files: a clear error naming the file, and the worker stays usable", () => {
    let client: WorkerClient;
    before(() => {
      // As root every file is readable; run the worker as "nobody" so permissions mean something.
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
      client = makeClient({ forkOptions: asNobody });
    });
    after(() => client.stop());

    async function expectLoadError(file: string, code: string, pattern: RegExp): Promise<void> {
      const pid = (await client.status(), client.pid);
      await assert.rejects(client.load("completion", { modelPath: file }), (e: unknown) => {
        assert.ok(e instanceof EngineError, String(e));
        assert.equal(e.code, code, e.message);
        assert.ok(e.message.includes(file), `message does not name the file: ${e.message}`);
        assert.match(e.message, pattern);
        return true;
      });
      assert.equal(client.pid, pid, "the worker must survive a bad file");
      const ok = await client.load("completion", { modelPath: model, contextSize: 256 });
      assert.equal(ok.modelPath, model);
      assert.equal(
        (await client.generate("completion", { kind: "complete", prompt: "x", maxTokens: 4 })).text,
        expectedCompletion("x", 4).text,
      );
    }

    it("a missing file", () => expectLoadError(path.join(scratch, "missing.gguf"), "modelNotFound", /not found/));

    it("a file that is not GGUF", () => {
      const file = path.join(scratch, "notes.gguf");
      fs.writeFileSync(file, "just some text, not a model\n");
      return expectLoadError(file, "modelInvalid", /Not a GGUF model file.*starts with "just"/);
    });

    it("a GGUF whose header is cut short", () => {
      const file = path.join(scratch, "header-cut.gguf");
      fs.writeFileSync(file, fs.readFileSync(model).subarray(0, 40));
      fs.chmodSync(file, 0o644);
      return expectLoadError(file, "modelInvalid", /truncated.*header-cut\.gguf/);
    });

    it("a GGUF whose tensor data is cut short", () => {
      const file = path.join(scratch, "data-cut.gguf");
      const bytes = fs.readFileSync(model);
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4096));
      fs.chmodSync(file, 0o644);
      return expectLoadError(file, "modelInvalid", /truncated: .* has \d+ bytes but its header describes \d+/);
    });

    it("a directory", () => {
      const dir = path.join(scratch, "model-dir.gguf");
      fs.mkdirSync(dir);
      return expectLoadError(dir, "modelInvalid", /is a directory/);
    });

    // Issue #16: these hung node-llama-cpp's header reader (100 % CPU, memory growing), killed the
    // worker with SIGILL, or said "Cannot read properties of undefined"; the project's own bounded
    // reader now refuses each before node-llama-cpp sees the file.
    for (const [name, bytes] of Object.entries(HOSTILE_HEADERS)) {
      it(`a hostile header: ${name}`, function () {
        this.timeout(30_000);
        const file = path.join(scratch, `hostile-${name.replace(/\W+/g, "-")}.gguf`);
        fs.writeFileSync(file, bytes);
        fs.chmodSync(file, 0o644);
        return expectLoadError(
          file,
          "modelInvalid",
          name === "magic only" ? /truncated: .* ends inside its header/ : /GGUF/,
        );
      });
    }

    it("a FIFO is refused without blocking", function () {
      this.timeout(30_000);
      const fifo = path.join(scratch, "fifo.gguf");
      execFileSync("mkfifo", [fifo]);
      fs.chmodSync(fifo, 0o644);
      return expectLoadError(fifo, "modelInvalid", /not a regular file \(a FIFO\)/);
    });

    it("a GGUF of an architecture llama.cpp does not know says which", async () => {
      const file = path.join(scratch, "alien.gguf");
      await writeGguf(file, {
        metadata: [kv.str("general.architecture", "nonesuch"), kv.str("general.name", "alien")],
        tensors: [{ name: "token_embd.weight", dims: [32, 4], type: GgmlType.F32, data: new Uint8Array(32 * 4 * 4) }],
      });
      fs.chmodSync(file, 0o644);
      return expectLoadError(file, "modelLoadFailed", /unknown model architecture: 'nonesuch'/);
    });

    it("an unreadable file", () => {
      const file = path.join(scratch, "locked.gguf");
      fs.copyFileSync(model, file);
      fs.chmodSync(file, 0o000);
      return expectLoadError(file, "modelUnreadable", /permission denied/);
    });
  });
});
