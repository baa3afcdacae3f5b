import * as assert from "node:assert/strict";
import {
  httpFailure,
  isConnectionFailure,
  networkFailure,
  parseRetryAfter,
  stalledFailure,
  timeoutFailure,
  type HttpFailureInput,
} from "../../../src/core/remote/remoteErrors";
import type { ErrorCode } from "../../../src/core/protocol/workerProtocol";

const SERVER = "http://gpu-box:8080";
const NOW = Date.parse("2026-01-01T00:00:00Z");

function http(status: number, extra: Partial<HttpFailureInput> = {}) {
  return httpFailure({
    status,
    server: SERVER,
    path: "/v1/chat/completions",
    serverMessage: null,
    retryAfter: null,
    model: "qwen",
    nowMs: NOW,
    ...extra,
  });
}

describe("remote failures as engine errors", () => {
  const statuses: {
    status: number;
    extra?: Partial<HttpFailureInput>;
    code: ErrorCode;
    says: RegExp[];
    retryAfterMs?: number;
  }[] = [
    {
      status: 401,
      extra: { serverMessage: "Invalid API Key" },
      code: "remoteUnauthorized",
      says: [/gpu-box:8080/, /API key/, /Invalid API Key/, /LCA_REMOTE_API_KEY/],
    },
    { status: 403, code: "remoteUnauthorized", says: [/HTTP 403/] },
    { status: 404, code: "remoteModelNotFound", says: [/"qwen"/, /\/v1\/chat\/completions/, /model name/] },
    {
      status: 429,
      extra: { retryAfter: "7" },
      code: "remoteRateLimited",
      says: [/429/, /retry in 7 seconds/],
      retryAfterMs: 7000,
    },
    { status: 429, code: "remoteRateLimited", says: [/retry in a moment/] },
    {
      status: 429,
      extra: { retryAfter: "Thu, 01 Jan 2026 00:00:30 GMT" },
      code: "remoteRateLimited",
      says: [/retry in 30 seconds/],
      retryAfterMs: 30_000,
    },
    { status: 500, extra: { serverMessage: "boom" }, code: "remoteServerError", says: [/HTTP 500/, /"boom"/, /Retry/] },
    { status: 502, code: "remoteServerError", says: [/HTTP 502/] },
    {
      status: 503,
      extra: { serverMessage: "Loading model", retryAfter: "2" },
      code: "remoteServerError",
      says: [/still loading/],
      retryAfterMs: 2000,
    },
    {
      status: 400,
      extra: { serverMessage: "the request exceeds the available context size" },
      code: "badRequest",
      says: [/does not fit its context/],
    },
    { status: 400, extra: { serverMessage: "bad field" }, code: "badRequest", says: [/HTTP 400/, /bad field/] },
  ];
  for (const s of statuses)
    it(`HTTP ${s.status}${s.extra ? ` ${JSON.stringify(s.extra)}` : ""} -> ${s.code}`, () => {
      const f = http(s.status, s.extra);
      assert.equal(f.code, s.code);
      for (const re of s.says) assert.match(f.message, re);
      assert.equal(f.retryAfterMs, s.retryAfterMs);
    });

  const network: { cause: string | null; after: boolean; code: ErrorCode; says: RegExp }[] = [
    {
      cause: "ECONNREFUSED",
      after: false,
      code: "remoteUnreachable",
      says: /Cannot connect to http:\/\/gpu-box:8080.*is the server running/,
    },
    { cause: "ENOTFOUND", after: false, code: "remoteUnreachable", says: /Cannot resolve the host/ },
    { cause: "ECONNRESET", after: false, code: "remoteUnreachable", says: /closed the connection before answering/ },
    { cause: null, after: false, code: "remoteUnreachable", says: /Cannot reach/ },
    { cause: "UND_ERR_SOCKET", after: true, code: "remoteInterrupted", says: /in the middle of the answer.*Retry/ },
  ];
  for (const n of network)
    it(`network ${n.cause ?? "(no code)"}${n.after ? " after the headers" : ""} -> ${n.code}`, () => {
      const f = networkFailure({ server: SERVER, causeCode: n.cause, causeMessage: "x", afterResponse: n.after });
      assert.equal(f.code, n.code);
      assert.match(f.message, n.says);
    });

  it("stall and timeout messages say how long and name the server", () => {
    assert.match(
      stalledFailure(SERVER, 5000).message,
      /gpu-box:8080 stopped sending the answer \(nothing for 5 seconds\)/,
    );
    assert.equal(stalledFailure(SERVER, 5000).code, "remoteStalled");
    const t = timeoutFailure(SERVER, "/health", 1000);
    assert.equal(t.code, "remoteTimeout");
    assert.match(t.message, /gpu-box:8080\/health did not answer within 1 second\./);
  });

  it("Retry-After: seconds, HTTP dates, garbage", () => {
    assert.equal(parseRetryAfter("0", NOW), 0);
    assert.equal(parseRetryAfter(" 12 ", NOW), 12_000);
    assert.equal(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", NOW), 0, "a date in the past means now");
    assert.equal(parseRetryAfter("soon", NOW), null);
    assert.equal(parseRetryAfter(null, NOW), null);
  });

  it("connection failures are the ones that mark the server down", () => {
    const down: ErrorCode[] = ["remoteUnreachable", "remoteInterrupted", "remoteTimeout"];
    const up: ErrorCode[] = [
      "remoteUnauthorized",
      "remoteModelNotFound",
      "remoteRateLimited",
      "remoteServerError",
      "remoteStalled",
      "cancelled",
    ];
    for (const c of down) assert.equal(isConnectionFailure(c), true, c);
    for (const c of up) assert.equal(isConnectionFailure(c), false, c);
  });
});
