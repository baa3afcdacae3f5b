/**
 * A catalog download in a cancellable progress notification: MB done / total, speed and time
 * left. Cancelling keeps the partial file, so choosing the same quant again resumes it. A 401/403
 * offers to store a Hugging Face token (SecretStorage) and retries with it.
 */
import * as vscode from "vscode";
import { DownloadError } from "../../client/download/downloadError";
import { downloadModelFile, type DownloadResult, type DownloadSpec } from "../../client/download/modelDownloader";
import { downloadProgressText, formatSize, RateMeter } from "../../core/models/presentation";

/** SecretStorage key of the user's Hugging Face read token. */
export const HF_TOKEN_SECRET = "localCode.huggingFaceToken";

export interface DownloadRequest {
  spec: DownloadSpec;
  /** "Qwen2.5-Coder 1.5B Q8_0" */
  title: string;
  /** Shown before the size is known from the server. */
  sizeBytes: number;
}

/** Downloads with a progress notification. Resolves null when cancelled or failed (the user was told). */
export async function downloadWithProgress(
  context: Pick<vscode.ExtensionContext, "secrets">,
  request: DownloadRequest,
  log: Pick<vscode.LogOutputChannel, "info" | "warn" | "error" | "show">,
): Promise<DownloadResult | null> {
  const token = await context.secrets.get(HF_TOKEN_SECRET);
  const spec: DownloadSpec = { ...request.spec, token: token ?? undefined };
  log.info(`Downloading ${request.title} (${formatSize(request.sizeBytes)}) to ${spec.destPath}`);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Downloading ${request.title}`, cancellable: true },
      async (progress, cancellation) => {
        const controller = new AbortController();
        const sub = cancellation.onCancellationRequested(() => controller.abort());
        const meter = new RateMeter();
        let reported = 0;
        try {
          return await downloadModelFile(spec, {
            signal: controller.signal,
            onProgress: (p) => {
              const total = p.totalBytes ?? (spec.expectedSizeBytes || null);
              const rate = meter.sample(p.receivedBytes, Date.now());
              const percent = total ? Math.min(100, (p.receivedBytes / total) * 100) : 0;
              progress.report({
                message: downloadProgressText(p.receivedBytes, total, rate, p.resumedFromBytes),
                increment: percent - reported,
              });
              reported = percent;
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    log.info(
      result.alreadyPresent
        ? `${request.title} was already downloaded: ${result.path}`
        : `Downloaded ${request.title}: ${result.path} (${result.sizeBytes} bytes${result.resumedFromBytes ? `, resumed from ${result.resumedFromBytes}` : ""})`,
    );
    return result;
  } catch (error) {
    if (!(error instanceof DownloadError)) {
      log.error(`Download of ${request.title} failed: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(
        `Local Code Assistant: download of ${request.title} failed: ${(error as Error).message}`,
      );
      return null;
    }
    log.warn(`Download of ${request.title}: [${error.code}] ${error.message}`);
    if (error.code === "cancelled") {
      void vscode.window.showInformationMessage(
        `Download of ${request.title} cancelled. The part already downloaded is kept: choose it again to resume.`,
      );
      return null;
    }
    if (error.code === "unauthorized") {
      const choice = await vscode.window.showErrorMessage(
        `Local Code Assistant: ${error.message}`,
        "Enter Hugging Face Token…",
        "Show Log",
      );
      if (choice === "Show Log") log.show();
      if (choice === "Enter Hugging Face Token…") {
        const entered = await vscode.window.showInputBox({
          title: "Hugging Face read token",
          prompt: "Stored in VS Code's secret storage and sent only to the download endpoint.",
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (/^\S{8,}$/.test(v.trim()) ? null : "Paste the token (hf_...)."),
        });
        if (entered) {
          await context.secrets.store(HF_TOKEN_SECRET, entered.trim());
          return downloadWithProgress(context, request, log);
        }
      }
      return null;
    }
    const retry = error.code === "interrupted" || error.code === "offline" || error.code === "http" ? ["Retry"] : [];
    const choice = await vscode.window.showErrorMessage(`Local Code Assistant: ${error.message}`, ...retry, "Show Log");
    if (choice === "Show Log") log.show();
    if (choice === "Retry") return downloadWithProgress(context, request, log);
    return null;
  }
}
