import * as assert from "node:assert/strict";
import { describeStatus, type StatusInput } from "../../../src/core/status/statusText";

const base: StatusInput = {
  engine: { kind: "ready" },
  completionModel: "m.gguf",
  modelProblem: null,
  completionEnabled: true,
  generating: false,
  lastLatencyMs: null,
};

describe("status bar text", () => {
  it("ready shows the model and the last latency", () => {
    assert.equal(describeStatus({ ...base, lastLatencyMs: 123.4 }).text, "$(check) Local Code: m.gguf · 123 ms");
  });
  it("a crash shows restarting with a warning", () => {
    const view = describeStatus({
      ...base,
      engine: { kind: "crashed", reason: "signal SIGKILL", restartInMs: 1000, restarts: 2 },
    });
    assert.match(view.text, /restarting/);
    assert.match(view.tooltip, /SIGKILL/);
    assert.equal(view.severity, "warning");
  });
  it("a failed worker is an error", () => {
    assert.equal(describeStatus({ ...base, engine: { kind: "failed", reason: "x" } }).severity, "error");
  });
  it("loading names the file", () => {
    assert.match(
      describeStatus({ ...base, engine: { kind: "loading", slot: "completion", modelPath: "/a/b/c.gguf" } }).text,
      /loading c\.gguf/,
    );
  });
  it("a model problem wins over ready, disabled shows the slash icon", () => {
    assert.equal(describeStatus({ ...base, modelProblem: "missing" }).tooltip, "missing");
    assert.match(describeStatus({ ...base, completionEnabled: false }).text, /circle-slash/);
  });
  it("an unreachable remote server is a warning whose tooltip is the error", () => {
    const view = describeStatus({
      ...base,
      engine: {
        kind: "unreachable",
        code: "remoteUnreachable",
        reason: "Cannot connect to http://h:8080",
        retryInMs: 1000,
      },
    });
    assert.match(view.text, /server unreachable/);
    assert.equal(view.tooltip, "Cannot connect to http://h:8080");
    assert.equal(view.severity, "warning");
  });
  it("generating spins", () => {
    assert.match(describeStatus({ ...base, generating: true }).text, /loading~spin/);
  });
});

describe("status bar text, remote backend", () => {
  const remote = { host: "127.0.0.1:8080", failure: null };
  it("ready shows the model at the server's host", () => {
    const view = describeStatus({ ...base, completionModel: "qwen", remote });
    assert.equal(view.text, "$(cloud) Local Code: qwen @ 127.0.0.1:8080");
    assert.match(view.tooltip, /Remote server 127\.0\.0\.1:8080, model qwen: ready/);
  });
  it("unreachable names the host; loading says connecting", () => {
    assert.match(
      describeStatus({
        ...base,
        remote,
        engine: { kind: "unreachable", code: "remoteUnreachable", reason: "r", retryInMs: null },
      }).text,
      /server unreachable \(127\.0\.0\.1:8080\)/,
    );
    assert.match(
      describeStatus({ ...base, remote, engine: { kind: "loading", slot: "completion", modelPath: "" } }).text,
      /connecting to 127\.0\.0\.1:8080/,
    );
  });
  it("each request failure has its own words and the fix", () => {
    const cases: [string, RegExp, RegExp][] = [
      ["remoteUnauthorized", /unauthorized/, /Set Remote API Key/],
      ["remoteRateLimited", /rate-limited/, /tries again/],
      ["remoteModelNotFound", /model not found/, /completionModel/],
      ["remoteServerError", /server error/, /tries again/],
      ["remoteStalled", /stalled/, /tries again/],
    ];
    for (const [code, text, hint] of cases) {
      const view = describeStatus({
        ...base,
        remote: { ...remote, failure: { code: code as "remoteUnauthorized", message: "the message" } },
      });
      assert.match(view.text, text, code);
      assert.match(view.tooltip, /^the message/, code);
      assert.match(view.tooltip, hint, code);
    }
  });
});

describe("status bar text, remote health check failures", () => {
  it("a health check refused for the key says unauthorized, not unreachable", () => {
    const view = describeStatus({
      ...base,
      remote: { host: "h:1", failure: null },
      engine: {
        kind: "unreachable",
        code: "remoteUnauthorized",
        reason: "h:1 refused the API key (HTTP 401).",
        retryInMs: 1000,
      },
    });
    assert.match(view.text, /h:1 unauthorized/);
    assert.match(view.tooltip, /HTTP 401.*Set Remote API Key/);
    assert.equal(view.severity, "error");
  });
  it("a stalled or interrupted request reads as the server not answering", () => {
    assert.match(
      describeStatus({
        ...base,
        remote: { host: "h:1", failure: { code: "remoteInterrupted", message: "closed mid-answer" } },
      }).text,
      /h:1 unreachable/,
    );
    assert.match(
      describeStatus({ ...base, remote: { host: "h:1", failure: { code: "remoteStalled", message: "m" } } }).text,
      /h:1 stalled/,
    );
  });

  it("the tooltip says why the last request showed nothing, in words", () => {
    const view = describeStatus({
      ...base,
      engine: { kind: "ready" },
      lastReason: "nothing suggested: text sits right of the cursor",
    });
    assert.match(view.tooltip, /Last request: nothing suggested: text sits right of the cursor\./);
    assert.doesNotMatch(describeStatus({ ...base, engine: { kind: "ready" } }).tooltip, /Last request/);
  });
});
