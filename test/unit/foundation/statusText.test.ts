import * as assert from "node:assert/strict";
import { describeStatus, type StatusInput } from "../../../src/core/status/statusText";

const base: StatusInput = { engine: { kind: "ready" }, completionModel: "m.gguf", modelProblem: null, completionEnabled: true, generating: false, lastLatencyMs: null };

describe("status bar text", () => {
  it("ready shows the model and the last latency", () => {
    assert.equal(describeStatus({ ...base, lastLatencyMs: 123.4 }).text, "$(check) Local Code: m.gguf · 123 ms");
  });
  it("a crash shows restarting with a warning", () => {
    const view = describeStatus({ ...base, engine: { kind: "crashed", reason: "signal SIGKILL", restartInMs: 1000, restarts: 2 } });
    assert.match(view.text, /restarting/);
    assert.match(view.tooltip, /SIGKILL/);
    assert.equal(view.severity, "warning");
  });
  it("a failed worker is an error", () => {
    assert.equal(describeStatus({ ...base, engine: { kind: "failed", reason: "x" } }).severity, "error");
  });
  it("loading names the file", () => {
    assert.match(describeStatus({ ...base, engine: { kind: "loading", slot: "completion", modelPath: "/a/b/c.gguf" } }).text, /loading c\.gguf/);
  });
  it("a model problem wins over ready, disabled shows the slash icon", () => {
    assert.equal(describeStatus({ ...base, modelProblem: "missing" }).tooltip, "missing");
    assert.match(describeStatus({ ...base, completionEnabled: false }).text, /circle-slash/);
  });
  it("an unreachable remote server is a warning whose tooltip is the error", () => {
    const view = describeStatus({ ...base, engine: { kind: "unreachable", code: "remoteUnreachable", reason: "Cannot connect to http://h:8080", retryInMs: 1000 } });
    assert.match(view.text, /server unreachable/);
    assert.equal(view.tooltip, "Cannot connect to http://h:8080");
    assert.equal(view.severity, "warning");
  });
  it("generating spins", () => {
    assert.match(describeStatus({ ...base, generating: true }).text, /loading~spin/);
  });
});
