import * as assert from "node:assert/strict";
import type { ChatEngine } from "../../../src/core/chat/chatController";
import type { KeyValueStore } from "../../../src/core/chat/historyStore";
import type { ContextItem, Turn } from "../../../src/core/chat/types";
import type { Logger } from "../../../src/core/util/logger";
import {
  EngineError,
  type Disposable,
  type EngineState,
  type GenerateCallOptions,
} from "../../../src/core/engine/engine";
import type {
  ErrorCode,
  GenerateRequestInput,
  GenerationResult,
  ModelInfo,
  StopReason,
} from "../../../src/core/protocol/workerProtocol";

/** An in-memory Memento; `writes` counts updates; `failNext` makes the next update reject. */
export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, unknown>();
  writes = 0;
  failNext = false;

  get<T>(key: string): T | undefined {
    const value = this.data.get(key);
    // Round-trip through JSON like VS Code's storage does, so tests catch non-serialisable state.
    return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as T);
  }

  update(key: string, value: unknown): Promise<void> {
    this.writes++;
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error("disk full"));
    }
    if (value === undefined) {
      this.data.delete(key);
    } else {
      this.data.set(key, JSON.parse(JSON.stringify(value)));
    }
    return Promise.resolve();
  }
}

export class MemoryLog implements Pick<Logger, "info" | "warn" | "error"> {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

export function model(contextSize = 4096): ModelInfo {
  return {
    slot: "chat",
    modelPath: "/models/tiny-chat.gguf",
    architecture: "llama",
    name: "Tiny Chat",
    contextSize,
    trainContextSize: contextSize,
    gpuLayers: 0,
    totalLayers: 4,
    sizeBytes: 1000,
    specialTokens: {} as ModelInfo["specialTokens"],
    hasChatTemplate: true,
    loadMs: 1,
  };
}

/** One generate() call the test drives by hand. */
export class Generation {
  readonly chunks: string[] = [];
  private resolve!: (result: GenerationResult) => void;
  private reject!: (error: unknown) => void;
  readonly promise: Promise<GenerationResult>;
  settled = false;

  constructor(
    readonly body: GenerateRequestInput,
    readonly options: GenerateCallOptions,
  ) {
    this.promise = new Promise<GenerationResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    options.signal?.addEventListener("abort", () => this.fail("cancelled", "aborted"));
  }

  get messages(): { role: string; content: string }[] {
    return this.body.kind === "chat" ? this.body.messages : [];
  }

  chunk(text: string): void {
    this.chunks.push(text);
    this.options.onChunk?.(text);
  }

  finish(stopReason: StopReason = "eogToken", text = this.chunks.join("")): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve({
      text,
      stopReason,
      promptTokens: 1,
      reusedPromptTokens: 0,
      generatedTokens: 1,
      firstTokenMs: 1,
      ms: 1,
    });
  }

  fail(code: ErrorCode, message: string = code): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(new EngineError(code, message));
  }
}

/** A hand-driven Engine: each generate() call becomes a Generation in `calls`. */
export class FakeEngine implements ChatEngine {
  state: EngineState = { kind: "ready" };
  chatModel: ModelInfo | null = model();
  readonly calls: Generation[] = [];
  countCalls = 0;
  countFails = false;
  private readonly listeners = new Set<(state: EngineState) => void>();
  private waiters: (() => void)[] = [];

  generate(
    _slot: "chat" | "completion",
    body: GenerateRequestInput,
    options: GenerateCallOptions = {},
  ): Promise<GenerationResult> {
    const generation = new Generation(body, options);
    this.calls.push(generation);
    for (const waiter of this.waiters.splice(0)) waiter();
    return generation.promise;
  }

  countTokens(_slot: "chat" | "completion", text: string): Promise<number> {
    this.countCalls++;
    if (this.countFails) {
      return Promise.reject(new EngineError("workerCrashed", "gone"));
    }
    return Promise.resolve(Math.ceil(text.length / 4));
  }

  modelInfo(): ModelInfo | null {
    return this.chatModel;
  }

  onDidChangeState(listener: (state: EngineState) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  setState(state: EngineState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Resolves with the n-th (0-based) generate call once it has been made. */
  async call(n: number): Promise<Generation> {
    const deadline = Date.now() + 2000;
    while (this.calls.length <= n) {
      if (Date.now() > deadline) throw new Error(`generate call ${n} never came`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return this.calls[n]!;
  }
}

/** Let pending promise callbacks run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function item(overrides: Partial<ContextItem> = {}): ContextItem {
  const content = overrides.content ?? "const x = 1;\n";
  return {
    id: "ctx1",
    kind: "selection",
    label: "a.ts:1-2",
    path: "src/a.ts",
    languageId: "typescript",
    range: { startLine: 1, endLine: 2 },
    content,
    tokens: Math.ceil(content.length / 4),
    approximate: false,
    ...overrides,
  };
}

export function turn(id: string, question: string, answer: string | null, context: ContextItem[] = []): Turn {
  return {
    id,
    question: { text: question, display: null, context },
    answer: answer === null ? null : { text: answer, status: "complete", error: null },
    notes: [],
    createdAt: 1,
  };
}

// ---------------------------------------------------------------------------------------------
// An independent checker for "nothing executable" in renderer output (does not reuse the sanitizer).

const SAFE_TAGS = new Set([
  "a",
  "p",
  "br",
  "hr",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "strong",
  "em",
  "s",
  "del",
  "sup",
  "sub",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "span",
  "div",
  "button",
]);
const FORBIDDEN_ATTRIBUTES = new Set([
  "src",
  "srcdoc",
  "srcset",
  "style",
  "formaction",
  "action",
  "background",
  "xlink:href",
  "poster",
  "data",
  "ping",
]);

function decode(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(parseInt(dec, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

export function assertNothingExecutable(html: string): void {
  assert.doesNotMatch(
    html,
    /<\s*\/?\s*(script|iframe|img|object|embed|svg|math|style|link|meta|form|input|base|frame|frameset|video|audio|source|details|template|textarea|select)\b/i,
    "a dangerous tag reached the output",
  );
  for (const tag of html.matchAll(/<(\/?)([^\s>\/]+)([^>]*)>/g)) {
    const name = tag[2]!.toLowerCase();
    assert.ok(SAFE_TAGS.has(name), `unexpected tag <${name}> in ${tag[0]}`);
    for (const attr of tag[3]!.matchAll(/([^\s="']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?/g)) {
      const attrName = attr[1]!.toLowerCase();
      if (attrName === "/") continue;
      assert.ok(!attrName.startsWith("on"), `event handler attribute ${attrName} in ${tag[0]}`);
      assert.ok(!FORBIDDEN_ATTRIBUTES.has(attrName), `forbidden attribute ${attrName} in ${tag[0]}`);
      const raw = attr[2] ?? "";
      const value = decode(raw.replace(/^["']|["']$/g, ""));
      if (attrName === "href") {
        assert.match(value, /^https?:\/\/[^\s]+$/i, `unsafe href ${value}`);
      }
      assert.doesNotMatch(value, /^\s*(javascript|vbscript|data):/i, `script URL in ${attrName}`);
    }
  }
}
