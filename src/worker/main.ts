/**
 * Entry of the model worker process (forked by the engine client). It hosts node-llama-cpp so a
 * native crash or out-of-memory kills this process, never the editor.
 */
import {
  ResultSchemas,
  WorkerRequestSchema,
  type WorkerMessage,
  type WorkerRequest,
} from "../core/protocol/workerProtocol";
import { WorkerFailure } from "./failure";
import { LlamaHost } from "./llamaHost";
import { loggerFrom } from "../core/util/logger";

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

const log = loggerFrom((level, message) => send({ type: "log", level, message }));
const host = new LlamaHost(log);
/** Loads in progress, cancellable by id. */
const loads = new Map<number, AbortController>();

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case "init":
      return host.init(request.gpu, request.threads, request.logLevel);
    case "hardware":
      return host.hardware();
    case "load": {
      const controller = new AbortController();
      loads.set(request.id, controller);
      try {
        return await host.load(request.slot, request.options, controller.signal);
      } finally {
        loads.delete(request.id);
      }
    }
    case "unload":
      return { unloaded: await host.unload(request.slot) };
    case "generate": {
      const receivedAt = performance.now();
      // A generate that arrives while its slot reloads waits for the new model (never the old one being disposed).
      const model = await host.modelWhenLoaded(request.slot);
      const result = await model.generate(request.id, request.body, request.supersede, {
        receivedAt,
        onChunk: (text) => send({ type: "chunk", id: request.id, text }),
      });
      const genMs = result.firstTokenMs === null ? null : result.ms - result.firstTokenMs;
      host.lastStats = {
        slot: request.slot,
        generatedTokens: result.generatedTokens,
        firstTokenMs: result.firstTokenMs,
        tokensPerSecond: genMs && result.generatedTokens > 1 ? ((result.generatedTokens - 1) * 1000) / genMs : null,
        tokensAfterAbort: result.tokensAfterAbort,
      };
      return result;
    }
    case "cancel": {
      const load = loads.get(request.target);
      if (load) {
        load.abort();
        return { cancelled: true };
      }
      return { cancelled: host.cancel(request.target) };
    }
    case "tokenize": {
      const tokens = (await host.modelWhenLoaded(request.slot)).tokenize(request.text);
      return { count: tokens.length, tokens: Array.from(tokens, Number) };
    }
    case "status":
      return host.status();
  }
}

process.on("message", (raw: unknown) => {
  const parsed = WorkerRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id =
      typeof raw === "object" && raw !== null && typeof (raw as { id?: unknown }).id === "number"
        ? (raw as { id: number }).id
        : -1;
    send({
      type: "error",
      id,
      code: "badRequest",
      message: `Invalid request to the model worker: ${parsed.error.message}`,
    });
    return;
  }
  const request = parsed.data;
  handle(request).then(
    (result) => {
      // Validate our own replies too: a malformed reply is a bug here, not in the caller.
      const checked = ResultSchemas[request.type].safeParse(result);
      if (!checked.success)
        send({
          type: "error",
          id: request.id,
          code: "internal",
          message: `Worker produced an invalid ${request.type} result: ${checked.error.message}`,
        });
      else send({ type: "result", id: request.id, result: checked.data });
    },
    (error: unknown) => {
      const code = error instanceof WorkerFailure ? error.code : "internal";
      const message = error instanceof Error ? error.message : String(error);
      send({ type: "error", id: request.id, code, message });
    },
  );
});

// The parent is gone (editor closed or crashed): nothing to serve, free the memory.
process.on("disconnect", () => {
  void host.dispose().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
process.on("unhandledRejection", (reason) => log.error(`unhandled rejection: ${String(reason)}`));

send({ type: "ready", pid: process.pid });

// The client's watchdog: a heartbeat from the event loop. A SIGSTOPped worker or one whose event
// loop is stuck sends none, and the client restarts it (src/client/workerClient.ts).
const heartbeatMs = Number(process.env.LCA_WORKER_HEARTBEAT_MS) || 1000;
setInterval(() => send({ type: "heartbeat" }), heartbeatMs).unref();
