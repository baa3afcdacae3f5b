import * as assert from "node:assert/strict";
import { parseSettings, type SettingsResult } from "../../../src/core/config/settings";
import { EngineError, isCancellation, type EngineState } from "../../../src/core/engine/engine";
import { SwitchingEngine, type StoppableEngine } from "../../../src/core/engine/switchingEngine";
import type { LoadOptionsInput, ModelInfo, Slot } from "../../../src/core/engine/types";
import { ModelRuntime, type RemotePlan } from "../../../src/core/runtime/modelRuntime";
import { SharedLoad } from "../../../src/core/runtime/sharedLoad";

/** A backend whose loads wait until the test lets them finish, and fail as cancelled when aborted. */
class FakeBackend implements StoppableEngine {
  state: EngineState = { kind: "ready" };
  stopped = false;
  loads: { slot: Slot; modelPath: string; signal?: AbortSignal; finish: () => void }[] = [];
  private readonly loaded = new Map<Slot, ModelInfo>();
  private readonly listeners = new Set<(s: EngineState) => void>();
  constructor(readonly name: string) {}
  setState(state: EngineState): void {
    this.state = state;
    for (const l of [...this.listeners]) l(state);
  }
  onDidChangeState(listener: (s: EngineState) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  load(slot: Slot, options: LoadOptionsInput, signal?: AbortSignal): Promise<ModelInfo> {
    return new Promise((resolve, reject) => {
      const info = { slot, modelPath: options.modelPath } as ModelInfo;
      const finish = () => {
        this.loaded.set(slot, info);
        resolve(info);
      };
      this.loads.push({ slot, modelPath: options.modelPath, signal, finish });
      signal?.addEventListener("abort", () => reject(new EngineError("cancelled", "load cancelled")), { once: true });
    });
  }
  async unload(slot: Slot): Promise<void> {
    this.loaded.delete(slot);
  }
  modelInfo(slot: Slot): ModelInfo | null {
    return this.loaded.get(slot) ?? null;
  }
  async generate(): Promise<never> {
    throw new Error("unused");
  }
  async countTokens(): Promise<number> {
    return 1;
  }
  status(): never {
    throw new Error("unused");
  }
  hardware(): never {
    throw new Error("unused");
  }
  readonly recoveryLabel = "Restart";
  async recover(): Promise<string> {
    return `${this.name} recovered`;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const settingsFor = (raw: unknown): SettingsResult => parseSettings(raw);
const localSettings = settingsFor({ completion: { model: "/models/c.gguf" }, chat: { model: "/models/chat.gguf" } });
const remoteSettings = settingsFor({
  backend: "remote",
  remote: { url: "http://127.0.0.1:9" },
  chat: { model: "/models/chat.gguf" },
});

function setup(settings = localSettings) {
  const built: FakeBackend[] = [];
  const remotes: { plan: RemotePlan; apiKey: string | undefined }[] = [];
  const lines: string[] = [];
  const log = {
    error: (m: string) => lines.push(`error ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    info: (m: string) => lines.push(`info ${m}`),
  };
  const runtime = new ModelRuntime({
    engine: new SwitchingEngine(),
    settings,
    apiKey: undefined,
    resolveCatalog: async () => ({ modelPath: null, problem: "no catalog in this test" }),
    log,
    backends: {
      local: () => {
        built.push(new FakeBackend("local"));
        return built[built.length - 1];
      },
      remote: (plan, apiKey) => {
        remotes.push({ plan, apiKey });
        built.push(new FakeBackend("remote"));
        return built[built.length - 1];
      },
    },
  });
  return { runtime, built, remotes, lines };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("shared load", () => {
  it("a caller that gives up stops waiting; the load goes on for the others and is aborted only when all gave up", async () => {
    let loadSignal: AbortSignal | undefined;
    let finish!: (value: string) => void;
    const load = new SharedLoad<string>((signal) => {
      loadSignal = signal;
      return new Promise((resolve) => (finish = resolve));
    });
    const a = new AbortController();
    const b = new AbortController();
    const first = load.join(a.signal);
    const second = load.join(b.signal);
    a.abort();
    await assert.rejects(first, (e: unknown) => isCancellation(e));
    assert.equal(loadSignal?.aborted, false, "one caller leaving does not cancel the shared load");
    finish("model");
    assert.equal(await second, "model");

    const lonely = new SharedLoad<string>(
      (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
    );
    const c = new AbortController();
    const only = lonely.join(c.signal);
    c.abort();
    await assert.rejects(only, (e: unknown) => isCancellation(e));
    await assert.rejects(lonely.promise, /aborted/, "the last caller leaving aborts the load");
  });
});

describe("model runtime", () => {
  it("stopping a chat does not cancel the chat model load that summarize waits for", async () => {
    const { runtime, built } = setup();
    runtime.start();
    const chat = new AbortController();
    const forChat = runtime.engineFor("chat", chat.signal);
    const forSummary = runtime.engineFor("chat");
    await settle();
    const chatLoads = built[0].loads.filter((l) => l.slot === "chat");
    assert.equal(chatLoads.length, 1, "one load for both callers");
    chat.abort();
    await assert.rejects(forChat, (e: unknown) => isCancellation(e));
    assert.equal(chatLoads[0].signal?.aborted, false, "the shared load was not cancelled");
    chatLoads[0].finish();
    assert.equal(await forSummary, runtime.engine);
    assert.equal(runtime.engine.modelInfo("chat")?.modelPath, "/models/chat.gguf");
  });

  it("the last caller to stop waiting cancels the load", async () => {
    const { runtime, built } = setup();
    runtime.start();
    const chat = new AbortController();
    const forChat = runtime.engineFor("chat", chat.signal);
    await settle();
    chat.abort();
    await assert.rejects(forChat, (e: unknown) => isCancellation(e));
    assert.equal(built[0].loads.find((l) => l.slot === "chat")?.signal?.aborted, true);
  });

  it("switches backends on settings and key changes, stops the old one, and tells the features", async () => {
    const { runtime, built, remotes } = setup();
    const events: string[] = [];
    runtime.onDidChangeBackend(() => events.push("backend"));
    runtime.onDidChangeSettings(() => events.push("settings"));
    runtime.start();
    assert.deepEqual(
      built.map((b) => b.name),
      ["local"],
    );
    await runtime.settingsChanged(remoteSettings, (section) => section === "localCode.backend");
    assert.deepEqual(
      built.map((b) => b.name),
      ["local", "remote"],
    );
    assert.equal(built[0].stopped, true, "the local worker is stopped");
    assert.deepEqual(events, ["settings", "backend"]);
    runtime.apiKeyChanged("sk-secret");
    assert.deepEqual(
      built.map((b) => b.name),
      ["local", "remote", "remote"],
      "a new key rebuilds the remote engine",
    );
    assert.equal(remotes[1].apiKey, "sk-secret");
    assert.equal(built[1].stopped, true);
    await runtime.settingsChanged(remoteSettings, () => false);
    assert.equal(built.length, 3, "unrelated changes keep the engine");
  });

  it("reports a settings problem once and fails requests with it", async () => {
    const { runtime } = setup(settingsFor({ backend: "remote" }));
    const problems: string[] = [];
    runtime.onProblem((p) => problems.push(p));
    runtime.start();
    await runtime.settingsChanged(settingsFor({ backend: "remote" }), (section) => section === "localCode.remote");
    assert.equal(problems.length, 1);
    assert.match(problems[0], /localCode\.remote\.url/);
    await assert.rejects(runtime.engineFor("completion"), /localCode\.remote\.url/);
    assert.match(await runtime.recover(), /localCode\.remote\.url/);
  });

  it("a model setting change reloads that slot; a crash loses the completion model and its recovery is announced", async () => {
    const { runtime, built } = setup();
    const models: Slot[] = [];
    const recovered: string[] = [];
    runtime.onDidChangeModel((slot) => models.push(slot));
    runtime.onDidRecover((reason) => recovered.push(reason));
    runtime.start();
    await runtime.settingsChanged(
      settingsFor({ completion: { model: "/models/c.gguf" }, chat: { model: "/models/other.gguf" } }),
      () => false,
    );
    assert.deepEqual(models, ["chat"]);
    built[0].setState({ kind: "crashed", reason: "signal SIGKILL", restartInMs: 10, restarts: 1 });
    built[0].setState({ kind: "starting" });
    assert.deepEqual(recovered, []);
    built[0].setState({ kind: "ready" });
    assert.deepEqual(models, ["chat", "completion"]);
    assert.deepEqual(recovered, ["signal SIGKILL"]);
    assert.equal(await runtime.recover(), "local recovered", "Restart / Check is the active engine's own");
  });
});
