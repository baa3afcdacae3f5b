import { redactSecrets, redactUrl } from "../../core/security/redact";

/**
 * Download failures with a code callers can branch on and a message a user can act on: each
 * names the URL and says what to do next.
 */

export type DownloadErrorCode =
  | "offline"
  | "unauthorized"
  | "notFound"
  | "http"
  | "diskFull"
  | "verifyFailed"
  | "interrupted"
  | "cancelled"
  | "busy"
  | "badRequest";

export class DownloadError extends Error {
  readonly url: string;
  constructor(
    readonly code: DownloadErrorCode,
    url: string,
    message: string,
  ) {
    // Messages reach notifications and the log: no credentials or tokens in them, ever.
    super(redactSecrets(message));
    this.url = redactUrl(url);
    this.name = "DownloadError";
  }
}

const GiB = 1024 ** 3;
export function formatBytes(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export function offlineError(url: string, cause: string): DownloadError {
  return new DownloadError(
    "offline",
    url,
    `Cannot reach ${url} (${cause}). Check the network connection, or set localCode.downloadEndpoint to a reachable mirror, ` +
      `or download the file yourself and set the model setting to its absolute .gguf path.`,
  );
}

export function httpStatusError(
  url: string,
  status: number,
  statusText: string,
  endpoint: string,
  repo: string,
): DownloadError {
  const page = `${endpoint}/${repo}`;
  if (status === 401 || status === 403) {
    return new DownloadError(
      "unauthorized",
      url,
      `${status} ${statusText} for ${url}: this model's repo needs a Hugging Face token, and its licence may have to be accepted first. ` +
        `Log in at ${page}, accept the licence if asked, create a read token (${endpoint}/settings/tokens) and give it to Local Code, then retry.`,
    );
  }
  if (status === 404) {
    return new DownloadError(
      "notFound",
      url,
      `Not found (404): ${url}. The catalog's repo or file name may be outdated: check ${page}/tree/main, ` +
        `choose another quant, or set the model setting to the absolute path of a .gguf you have.`,
    );
  }
  return new DownloadError(
    "http",
    url,
    `The server answered ${status} ${statusText} for ${url}. Retry later or use another endpoint (localCode.downloadEndpoint).`,
  );
}
