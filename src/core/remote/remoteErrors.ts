/**
 * HTTP statuses and network failures of an inference server, as EngineError codes with messages
 * that name the server and say what to do. Pure: the HTTP client passes in what it saw.
 */
import type { ErrorCode } from "../engine/types";

export interface RemoteFailure {
  code: ErrorCode;
  message: string;
  /** How long the server asked us to wait (429 / 503 Retry-After), in ms. */
  retryAfterMs?: number;
}

export interface HttpFailureInput {
  status: number;
  /** Base URL of the server, as configured (never with credentials). */
  server: string;
  /** The endpoint path, e.g. "/v1/chat/completions". */
  path: string;
  /** The message from the error body, if it had one. */
  serverMessage: string | null;
  /** The Retry-After header, raw. */
  retryAfter: string | null;
  /** The model name the request used (for 404s). */
  model: string | null;
  /** Now, for HTTP-date Retry-After values. */
  nowMs: number;
}

/** Retry-After is delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

function said(serverMessage: string | null): string {
  return serverMessage ? ` The server said: "${serverMessage}".` : "";
}

function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s === 1 ? "1 second" : `${s} seconds`;
}

/** A non-2xx answer. */
export function httpFailure(input: HttpFailureInput): RemoteFailure {
  const { status, server, path } = input;
  const where = `${server}${path}`;
  if (status === 401 || status === 403)
    return {
      code: "remoteUnauthorized",
      message: `${server} refused the API key (HTTP ${status}).${said(input.serverMessage)} Set the key the server expects (Local Code: Set Remote API Key, or LCA_REMOTE_API_KEY for the CLI), then retry.`,
    };
  if (status === 404) {
    const modelHint = input.model ? `the model "${input.model}" or ` : "";
    return {
      code: "remoteModelNotFound",
      message: `${where} answered 404: ${modelHint}this endpoint is not there.${said(input.serverMessage)} Check the model name and the server URL (it should be the server's root, e.g. http://host:8080).`,
    };
  }
  if (status === 429) {
    const wait = parseRetryAfter(input.retryAfter, input.nowMs);
    return {
      code: "remoteRateLimited",
      message: `${server} is rate-limiting requests (HTTP 429)${wait !== null ? `; retry in ${seconds(wait)}` : "; retry in a moment"}.${said(input.serverMessage)}`,
      ...(wait !== null ? { retryAfterMs: wait } : {}),
    };
  }
  if (status === 503 && input.serverMessage && /loading/i.test(input.serverMessage))
    return {
      code: "remoteServerError",
      message: `${server} is still loading its model (HTTP 503); retry when it is ready.`,
      ...retryAfterField(input),
    };
  if (status >= 500)
    return {
      code: "remoteServerError",
      message: `${where} failed with HTTP ${status}.${said(input.serverMessage)} Retry; if it keeps failing, check the server's log.`,
      ...retryAfterField(input),
    };
  if (status === 400 && input.serverMessage && /context|too long|exceed/i.test(input.serverMessage))
    return {
      code: "badRequest",
      message: `${server} rejected the request: the prompt does not fit its context.${said(input.serverMessage)}`,
    };
  return { code: "badRequest", message: `${where} rejected the request (HTTP ${status}).${said(input.serverMessage)}` };
}

function retryAfterField(input: HttpFailureInput): { retryAfterMs?: number } {
  const wait = parseRetryAfter(input.retryAfter, input.nowMs);
  return wait === null ? {} : { retryAfterMs: wait };
}

/** Error codes Node's fetch (undici) puts on `error.cause.code`, grouped by what they mean. */
const REFUSED = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
const NAME = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME"]);
const DROPPED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);

/**
 * A request that got no HTTP answer. `afterResponse`: the headers had arrived and the body was
 * being read, so the connection dropped in the middle of an answer.
 */
export function networkFailure(input: {
  server: string;
  causeCode: string | null;
  causeMessage: string;
  afterResponse: boolean;
}): RemoteFailure {
  const { server, causeCode } = input;
  const detail = causeCode ? `${causeCode}: ${input.causeMessage}` : input.causeMessage;
  if (input.afterResponse)
    return {
      code: "remoteInterrupted",
      message: `The connection to ${server} closed in the middle of the answer (${detail}); the server may have restarted or crashed. Retry.`,
    };
  if (causeCode && NAME.has(causeCode))
    return {
      code: "remoteUnreachable",
      message: `Cannot resolve the host of ${server} (${detail}). Check the server URL.`,
    };
  if (causeCode && REFUSED.has(causeCode))
    return {
      code: "remoteUnreachable",
      message: `Cannot connect to ${server} (${detail}): is the server running? Start it or fix the URL, then retry.`,
    };
  if (causeCode && DROPPED.has(causeCode))
    return {
      code: "remoteUnreachable",
      message: `${server} closed the connection before answering (${detail}); it may be restarting. Retry.`,
    };
  return {
    code: "remoteUnreachable",
    message: `Cannot reach ${server} (${detail}). Check that the server runs and the URL is right, then retry.`,
  };
}

export function stalledFailure(server: string, stallMs: number): RemoteFailure {
  return {
    code: "remoteStalled",
    message: `${server} stopped sending the answer (nothing for ${seconds(stallMs)}); the request was abandoned. Retry; if it recurs, the server may be overloaded.`,
  };
}

export function timeoutFailure(server: string, path: string, timeoutMs: number): RemoteFailure {
  return {
    code: "remoteTimeout",
    message: `${server}${path} did not answer within ${seconds(timeoutMs)}. The server may be busy or unreachable; retry, or raise the timeout.`,
  };
}

/** Codes after which the server is considered down until a health check says otherwise. */
export function isConnectionFailure(code: ErrorCode): boolean {
  return code === "remoteUnreachable" || code === "remoteInterrupted" || code === "remoteTimeout";
}
