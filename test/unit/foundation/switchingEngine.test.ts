import * as assert from "node:assert/strict";
import { EngineError, type EngineState } from "../../../src/core/engine/engine";
import { SwitchingEngine, type StoppableEngine } from "../../../src/core/engine/switchingEngine";
import type { GenerateRequestInput, ModelInfo, Slot } from "../../../src/core/protocol/workerProtocol";

/** A stand-in backend: generate() answers its name, or waits until aborted when `hang` is set. */
class FakeEngine implements StoppableEngine {
  stopped = false;
  hang = false;
  failWith: EngineError | null = null;
  state: EngineState = { kind: "ready" };
  private readonly listeners = new Set<(s: EngineState) => void>();
  constructor(readonly name: string) {}
  setState(state: EngineState): void {
    this.state = state;
    for (const l of this.listeners) l(state);
  }
  onDidChangeState(listener: (s: EngineState) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  async load(slot: Slot): Promise<ModelInfo> {
    return { slot, modelPath: this.name } as ModelInfo;
  }
  async unload(): Promise<void> {}
  modelInfo(): ModelInfo | null {
    return null;
  }
  async generate(_slot: Slot, _body: GenerateRequestInput, options: { signal?: AbortSignal } = {}) {
    if (this.failWith) throw this.failWith;
    if (this.hang)
      await new Promise((_, reject) =>
        options.signal?.addEventListener("abort", () =>
          reject(new EngineError("workerCrashed", "the worker went away")),
        ),
      );
    return { text: this.name } as Awaited<ReturnType<StoppableEngine["generate"]>>;
  }
  async countTokens(): Promise<number> {
    return this.name.length;
  }
  status(): never {
    throw new Error("unused");
  }
  hardware(): never {
    throw new Error("unused");
  }
  readonly recoveryLabel = "Recover";
  async recover(): Promise<string> {
    return `${this.name} recovered`;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

const body: GenerateRequestInput = { kind: "complete", prompt: "a", maxTokens: 4 };

describe("switching engine (localCode.backend)", () => {
  it("delegates to the active engine and keeps it for the same id", async () => {
    const switching = new SwitchingEngine();
    const local = new FakeEngine("local");
    assert.equal(
      switching.use("local", () => local),
      true,
    );
    assert.equal(
      switching.use("local", () => new FakeEngine("other")),
      false,
    );
    assert.equal((await switching.generate("completion", body)).text, "local");
    assert.equal(switching.active, local);
  });

  it("a switch stops the old engine and cancels what runs on it", async () => {
    const switching = new SwitchingEngine();
    const local = new FakeEngine("local");
    local.hang = true;
    switching.use("local", () => local);
    const pending = switching.generate("completion", body);
    const remote = new FakeEngine("remote");
    switching.use("remote a", () => remote);
    await assert.rejects(pending, (error: EngineError) => error.code === "cancelled");
    assert.equal(local.stopped, true);
    assert.equal((await switching.generate("completion", body)).text, "remote");
  });

  it("the caller's abort still reaches the active engine", async () => {
    const switching = new SwitchingEngine();
    const local = new FakeEngine("local");
    local.hang = true;
    switching.use("local", () => local);
    const controller = new AbortController();
    const pending = switching.generate("completion", body, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (error: EngineError) => error.code === "workerCrashed");
    assert.equal(local.stopped, false);
  });

  it("forwards the active engine's state events and reports the new state on a switch", () => {
    const switching = new SwitchingEngine();
    const seen: string[] = [];
    switching.onDidChangeState((s) => seen.push(s.kind));
    const local = new FakeEngine("local");
    switching.use("local", () => local);
    local.setState({ kind: "loading", slot: "completion", modelPath: "m" });
    const remote = new FakeEngine("remote");
    remote.state = { kind: "stopped" };
    switching.use("remote", () => remote);
    local.setState({ kind: "crashed", reason: "old engine", restartInMs: 1, restarts: 1 });
    assert.deepEqual(seen, ["ready", "loading", "stopped"]);
    assert.equal(switching.state.kind, "stopped");
  });

  it("with no usable backend every request fails with the settings problem", async () => {
    const switching = new SwitchingEngine();
    const local = new FakeEngine("local");
    switching.use("local", () => local);
    switching.useNone("localCode.remote.url is empty");
    assert.equal(local.stopped, true);
    assert.equal(switching.problem, "localCode.remote.url is empty");
    await assert.rejects(switching.generate("chat", body), /localCode\.remote\.url is empty/);
    await assert.rejects(switching.countTokens("chat", "x"), /localCode\.remote\.url is empty/);
  });

  it("remembers the last failure for the status bar until a success or a switch", async () => {
    const switching = new SwitchingEngine();
    const remote = new FakeEngine("remote");
    switching.use("remote", () => remote);
    const seen: (string | null)[] = [];
    switching.onDidChangeFailure((f) => seen.push(f?.code ?? null));
    remote.failWith = new EngineError("remoteUnauthorized", "401");
    await assert.rejects(switching.generate("completion", body));
    assert.equal(switching.failure?.code, "remoteUnauthorized");
    remote.failWith = new EngineError("cancelled", "x");
    await assert.rejects(switching.generate("completion", body));
    assert.equal(switching.failure?.code, "remoteUnauthorized", "a cancellation is not a failure");
    remote.failWith = null;
    await switching.generate("completion", body);
    assert.equal(switching.failure, null);
    assert.deepEqual(seen, ["remoteUnauthorized", null]);
  });
});
