import * as assert from "node:assert/strict";
import { ChatController, engineView, type ChatEvent } from "../../../src/core/chat/chatController";
import { BASE_MODEL_NOTE } from "../../../src/core/chat/baseModel";
import { INTERRUPTED_NOTE } from "../../../src/core/chat/conversation";
import { HISTORY_KEYS } from "../../../src/core/chat/historyStore";
import type { ChatSettings } from "../../../src/core/chat/settings";
import type { Conversation } from "../../../src/core/chat/types";
import { FakeEngine, MemoryLog, MemoryStore, flush, model } from "./helpers";

interface Setup {
  engine: FakeEngine;
  store: MemoryStore;
  log: MemoryLog;
  chat: ChatController;
  events: ChatEvent[];
  settings: ChatSettings;
}

function setup(
  options: {
    engine?: FakeEngine;
    store?: MemoryStore;
    saveIntervalMs?: number;
    maxTokens?: number;
    ensureModel?: (signal: AbortSignal) => Promise<unknown>;
  } = {},
): Setup {
  const engine = options.engine ?? new FakeEngine();
  const store = options.store ?? new MemoryStore();
  const log = new MemoryLog();
  const settings: ChatSettings = { maxTokens: options.maxTokens ?? 300, temperature: 0.5, systemPrompt: "SYSTEM" };
  let id = 0;
  const chat = new ChatController({
    engine,
    store,
    log,
    settings: () => settings,
    newId: () => `id${++id}${Math.random().toString(36).slice(2, 6)}`,
    saveIntervalMs: options.saveIntervalMs ?? 10,
    ensureModel: options.ensureModel,
  });
  const events: ChatEvent[] = [];
  chat.onDidChange((event) => events.push(event));
  return { engine, store, log, chat, events, settings };
}

const last = (c: Conversation) => c.turns[c.turns.length - 1]!;

describe("chat controller", () => {
  let s: Setup;
  afterEach(async () => {
    s.chat.dispose();
    await s.chat.idle();
  });

  it("tells the view an answer is complete only once the store holds it (a reload right then keeps it)", async () => {
    // A store whose writes land later, like VS Code's Memento across the extension host boundary.
    const store = new MemoryStore();
    const held: Array<() => void> = [];
    const update = store.update.bind(store);
    let holding = true;
    store.update = (key, value) =>
      holding
        ? new Promise<void>((resolve) => held.push(() => void update(key, value).then(resolve)))
        : update(key, value);
    s = setup({ store });
    const answer = s.chat.ask("Say hi");
    const generation = await s.engine.call(0);
    generation.chunk("HI!");
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const before = s.events.filter((e) => e.kind === "state").length;
    generation.finish();
    const completeShown = () =>
      s.events.some((e) => e.kind === "state") && s.chat.viewState.conversation.turns[0]!.answer?.status === "complete";
    const stateEvents = () => s.events.filter((e) => e.kind === "state").length;
    // Let the generation settle; the store has not written anything yet.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    while (held.length > 0) {
      assert.equal(stateEvents(), before, "the view heard of the end before the store took it");
      held.shift()!();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    holding = false;
    assert.deepEqual(await answer, { text: "HI!", status: "complete", error: null });
    assert.ok(completeShown());
    assert.ok(stateEvents() > before, "the end was never told");
    const stored = store.get<Conversation>(HISTORY_KEYS.conversation(s.chat.viewState.conversation.id))!;
    assert.equal(last(stored).answer!.status, "complete");
  });

  it("streams an answer: chunk events, final state, persisted, and the right request", async () => {
    s = setup();
    await s.chat.addContext({
      kind: "selection",
      label: "a.ts:1-1",
      path: "src/a.ts",
      languageId: "typescript",
      range: { startLine: 1, endLine: 1 },
      content: "let x = 1;",
    });
    const answer = s.chat.ask("What is x?");
    const generation = await s.engine.call(0);
    assert.equal(s.chat.busy, true);
    assert.deepEqual(s.chat.pendingContext, [], "attached context moves into the question");
    assert.equal(generation.body.kind, "chat");
    assert.equal(generation.body.temperature, 0.5);
    assert.ok(generation.body.maxTokens <= 300);
    assert.equal(generation.messages[0]!.content, "SYSTEM");
    assert.match(
      generation.messages.at(-1)!.content,
      /^Selection from src\/a\.ts \(line 1\):\n```typescript\nlet x = 1;\n```\n\nWhat is x\?$/,
    );

    generation.chunk("x is ");
    generation.chunk("one.");
    assert.deepEqual(
      s.events.filter((e) => e.kind === "chunk").map((e) => (e.kind === "chunk" ? e.text : "")),
      ["x is ", "one."],
    );
    generation.finish();
    assert.deepEqual(await answer, { text: "x is one.", status: "complete", error: null });
    assert.equal(s.chat.busy, false);
    const view = s.chat.viewState;
    assert.equal(view.conversation.title, "What is x?");
    assert.deepEqual(view.conversation.turns[0]!.answer, { text: "x is one.", status: "complete", error: null });
    assert.equal(view.conversation.turns[0]!.question.context[0]!.label, "a.ts:1-1");
    await s.chat.idle();
    const stored = s.store.get<Conversation>(HISTORY_KEYS.conversation(view.conversation.id))!;
    assert.equal(last(stored).answer!.text, "x is one.");
    assert.deepEqual(
      view.history.map((h) => h.id),
      [view.conversation.id],
    );
  });

  it("Stop keeps the partial answer, frees the chat at once and ignores late chunks", async () => {
    s = setup();
    const answer = s.chat.ask("Tell me a story");
    const generation = await s.engine.call(0);
    generation.chunk("Once upon");
    s.chat.stop();
    assert.equal(s.chat.busy, false);
    assert.equal(generation.options.signal!.aborted, true, "the engine request is aborted");
    generation.chunk(" a time");
    assert.deepEqual(await answer, { text: "Once upon", status: "stopped", error: null });
    assert.deepEqual(last(s.chat.current).answer, { text: "Once upon", status: "stopped", error: null });
  });

  it("a worker crash mid-answer keeps the partial answer marked interrupted, and Regenerate answers again", async () => {
    s = setup();
    const first = s.chat.ask("Explain closures");
    const crashed = await s.engine.call(0);
    crashed.chunk("A closure is");
    crashed.fail("workerCrashed", "worker exited with code 134");
    const result = await first;
    assert.equal(result.status, "interrupted");
    assert.equal(result.text, "A closure is");
    const turn = last(s.chat.current);
    assert.equal(turn.answer!.status, "interrupted");
    assert.equal(turn.answer!.text, "A closure is");
    assert.match(turn.answer!.error!, /worker exited with code 134/);
    assert.deepEqual(turn.notes, [INTERRUPTED_NOTE]);
    assert.equal(s.chat.busy, false);
    assert.ok(s.log.lines.some((l) => l.startsWith("warn") && l.includes("134")));

    const again = s.chat.regenerate();
    const retry = await s.engine.call(1);
    // The interrupted answer is not sent back as history: the question is asked afresh.
    assert.deepEqual(
      retry.messages.map((m) => m.role),
      ["system", "user"],
    );
    assert.equal(retry.messages[1]!.content, "Explain closures");
    retry.chunk("A closure captures variables.");
    retry.finish();
    assert.deepEqual(await again, { text: "A closure captures variables.", status: "complete", error: null });
    assert.deepEqual(last(s.chat.current).notes, []);
    assert.equal(s.chat.current.turns.length, 1);
  });

  it("a window reload mid-answer restores the conversation with the partial answer interrupted; Regenerate works", async () => {
    s = setup({ saveIntervalMs: 5 });
    void s.chat.ask("Long question");
    const generation = await s.engine.call(0);
    generation.chunk("The partial ");
    generation.chunk("answer");
    await new Promise((resolve) => setTimeout(resolve, 40)); // the periodic save of a streaming answer
    await flush();
    // Simulate the reload: a new controller over the same storage, with no dispose of the old one.
    const reloaded = setup({ store: s.store });
    const turn = last(reloaded.chat.current);
    assert.equal(turn.question.text, "Long question");
    assert.equal(turn.answer!.status, "interrupted");
    assert.equal(turn.answer!.text, "The partial answer");
    const again = reloaded.chat.regenerate();
    const retry = await reloaded.engine.call(0);
    retry.chunk("Full answer.");
    retry.finish();
    assert.equal((await again)!.status, "complete");
    reloaded.chat.dispose();
    generation.finish();
  });

  it("loads the chat model before planning, so the answer may use the real window, counted exactly", async () => {
    const engine = new FakeEngine();
    engine.chatModel = null; // Not loaded yet: the first question after start-up.
    const loads: AbortSignal[] = [];
    s = setup({
      engine,
      maxTokens: 6000,
      ensureModel: async (signal) => {
        loads.push(signal);
        engine.chatModel = model(32_768);
      },
    });
    const answer = s.chat.ask("Count to a thousand");
    const generation = await s.engine.call(0);
    assert.equal(loads.length, 1);
    // Planned for a guessed 4,096-token window it would have been cut to ~3,900 tokens.
    assert.equal(generation.body.maxTokens, 6000);
    assert.ok(s.engine.countCalls > 0, "the prompt was estimated instead of counted with the model");
    generation.finish();
    await answer;
  });

  it("a chat model that cannot be loaded fails the answer with the reason, without generating", async () => {
    s = setup({
      ensureModel: () => Promise.reject(new Error("The setting localCode.chat.model is invalid; fix it in Settings.")),
    });
    const result = await s.chat.ask("hi");
    assert.equal(result.status, "error");
    assert.match(result.error!, /localCode\.chat\.model is invalid/);
    assert.equal(s.engine.calls.length, 0);
    assert.equal(last(s.chat.current).answer!.status, "error");
  });

  it("Stop while the chat model loads stops the answer; nothing is generated after the load", async () => {
    let loaded!: () => void;
    s = setup({ ensureModel: () => new Promise<void>((resolve) => (loaded = resolve)) });
    const answer = s.chat.ask("hi");
    await flush();
    s.chat.stop();
    loaded();
    assert.deepEqual(await answer, { text: "", status: "stopped", error: null });
    await flush();
    assert.equal(s.engine.calls.length, 0);
  });

  it("other engine failures become an error answer with a readable message", async () => {
    s = setup();
    const answer = s.chat.ask("hi");
    (await s.engine.call(0)).fail("noModelLoaded", "no model in slot chat");
    const result = await answer;
    assert.equal(result.status, "error");
    assert.match(result.error!, /No chat model is loaded/);
    assert.equal(last(s.chat.current).answer!.status, "error");
  });

  it("editing the last question sends the new text and replaces the answer", async () => {
    s = setup();
    const first = s.chat.ask("wrong");
    (await s.engine.call(0)).finish("eogToken", "old answer");
    await first;
    const edited = s.chat.editLast("right");
    const generation = await s.engine.call(1);
    assert.equal(generation.messages.at(-1)!.content, "right");
    assert.equal(generation.messages.filter((m) => m.role === "assistant").length, 0);
    generation.chunk("new answer");
    generation.finish();
    await edited;
    assert.equal(s.chat.current.turns.length, 1);
    assert.equal(last(s.chat.current).question.text, "right");
    assert.equal(last(s.chat.current).answer!.text, "new answer");
  });

  it("the engine's non-streamed result text is used when no chunks arrived", async () => {
    s = setup();
    const answer = s.chat.ask("q");
    (await s.engine.call(0)).finish("maxTokens", "whole answer at once");
    assert.equal((await answer).text, "whole answer at once");
    assert.equal(last(s.chat.current).answer!.text, "whole answer at once");
  });

  it("history turns go to the model, and a small window drops the oldest with a visible note", async () => {
    const engine = new FakeEngine();
    engine.chatModel = model(1024);
    s = setup({ engine });
    for (let i = 0; i < 6; i++) {
      const answer = s.chat.ask(`Question ${i} ${"x".repeat(600)}`);
      (await s.engine.call(i)).finish("eogToken", `Answer ${i} ${"y".repeat(600)}`);
      await answer;
    }
    const generation = s.engine.calls.at(-1)!;
    assert.match(generation.messages[0]!.content, /^SYSTEM\n\nEarlier parts of this conversation were left out/);
    const notes = s.chat.viewState.conversation.turns.at(-1)!.notes;
    assert.ok(
      notes.some((n) => /earlier exchanges? did not fit in the model's 1,024-token context window/.test(n)),
      notes.join("|"),
    );
  });

  it("a model without a chat template (a base model): each answer says so in a note; a chat model gets none", async () => {
    const engine = new FakeEngine();
    engine.chatModel = { ...model(), hasChatTemplate: false };
    s = setup({ engine });
    const answer = s.chat.ask("What is the capital of France?");
    (await s.engine.call(0)).finish("stopString", "France is a country");
    await answer;
    assert.deepEqual(last(s.chat.current).notes, [BASE_MODEL_NOTE]);
    assert.match(BASE_MODEL_NOTE, /no chat template/);
    assert.match(BASE_MODEL_NOTE, /base model/);
    assert.match(BASE_MODEL_NOTE, /wander/);
    engine.chatModel = model();
    const next = s.chat.ask("Again?");
    (await s.engine.call(1)).finish("eogToken", "Paris");
    await next;
    assert.deepEqual(last(s.chat.current).notes, []);
  });

  it("startExchange opens a new titled conversation with context and resolves with the answer", async () => {
    s = setup();
    const first = s.chat.ask("old chat");
    (await s.engine.call(0)).finish("eogToken", "ok");
    await first;
    const oldId = s.chat.current.id;
    const exchange = s.chat.startExchange({
      title: "Summary of main.ts:1-20",
      prompt: "Summarize the following code in three sentences.",
      display: "Summarize selection",
      context: [{ kind: "selection", label: "main.ts:1-20", content: "function main() {}" }],
    });
    const generation = await s.engine.call(1);
    assert.match(generation.messages.at(-1)!.content, /function main\(\) \{\}[\s\S]*Summarize the following code/);
    assert.equal(
      generation.messages.filter((m) => m.role === "assistant").length,
      0,
      "a fresh conversation has no history",
    );
    generation.chunk("It defines main.");
    generation.finish();
    assert.deepEqual(await exchange, { text: "It defines main.", status: "complete", error: null });
    const view = s.chat.viewState;
    assert.notEqual(view.conversation.id, oldId);
    assert.equal(view.conversation.title, "Summary of main.ts:1-20");
    assert.equal(view.conversation.turns[0]!.question.display, "Summarize selection");
    await s.chat.idle();
    assert.deepEqual(new Set(s.chat.viewState.history.map((h) => h.id)), new Set([oldId, view.conversation.id]));
  });

  it("startExchange while an answer runs stops it first (kept as stopped)", async () => {
    s = setup();
    const running = s.chat.ask("first");
    (await s.engine.call(0)).chunk("partial");
    const firstId = s.chat.current.id;
    const exchange = s.chat.startExchange({ prompt: "second" });
    assert.equal((await running).status, "stopped");
    (await s.engine.call(1)).finish("eogToken", "done");
    await exchange;
    await s.chat.idle();
    assert.ok(s.chat.open(firstId));
    assert.equal(last(s.chat.current).answer!.status, "stopped");
    assert.equal(last(s.chat.current).answer!.text, "partial");
  });

  it("new chat, open, rename and delete", async () => {
    s = setup();
    const a = s.chat.ask("alpha");
    (await s.engine.call(0)).finish("eogToken", "A");
    await a;
    const alpha = s.chat.current.id;
    s.chat.newChat();
    assert.notEqual(s.chat.current.id, alpha);
    assert.equal(s.chat.current.turns.length, 0);
    const b = s.chat.ask("beta");
    (await s.engine.call(1)).finish("eogToken", "B");
    await b;
    const beta = s.chat.current.id;
    await s.chat.idle();
    assert.deepEqual(
      s.chat.viewState.history.map((h) => h.id),
      [beta, alpha],
    );

    assert.equal(s.chat.open(alpha), true);
    assert.equal(s.chat.current.turns[0]!.question.text, "alpha");
    await s.chat.rename(beta, "Renamed beta");
    await s.chat.idle();
    assert.equal(s.chat.viewState.history.find((h) => h.id === beta)!.title, "Renamed beta");

    await s.chat.delete(alpha);
    assert.notEqual(s.chat.current.id, alpha, "deleting the open conversation opens a new one");
    assert.deepEqual(
      s.chat.viewState.history.map((h) => h.id),
      [beta],
    );
    assert.equal(s.chat.open("missing"), false);
    assert.ok(s.events.some((e) => e.kind === "notice"));
  });

  it("counts chip tokens exactly with a model, estimates without one or when counting fails", async () => {
    s = setup();
    const exact = await s.chat.addContext({ kind: "file", label: "a.ts", content: "12345678" });
    assert.deepEqual([exact.tokens, exact.approximate], [2, false]);
    const duplicate = await s.chat.addContext({ kind: "file", label: "a.ts", content: "12345678" });
    assert.equal(duplicate.id, exact.id);
    assert.equal(s.chat.pendingContext.length, 1);

    s.engine.chatModel = null;
    const estimated = await s.chat.addContext({ kind: "file", label: "b.ts", content: "123456789" });
    assert.deepEqual([estimated.tokens, estimated.approximate], [3, true]);

    s.engine.chatModel = model();
    s.engine.countFails = true;
    const fallback = await s.chat.addContext({ kind: "file", label: "c.ts", content: "abc" });
    assert.equal(fallback.approximate, true);

    assert.deepEqual(
      s.chat.viewState.pendingContext.map((c) => c.label),
      ["a.ts", "b.ts", "c.ts"],
    );
    s.chat.removeContext(estimated.id);
    assert.deepEqual(
      s.chat.viewState.pendingContext.map((c) => c.label),
      ["a.ts", "c.ts"],
    );
  });

  it("shortens a huge attachment when attaching it and says so on the chip", async () => {
    s = setup();
    const big = await s.chat.addContext({ kind: "file", label: "huge.log", content: "z".repeat(500_000) });
    assert.ok(big.content.length <= 200_000);
    assert.equal(big.label, "huge.log (shortened)");
  });

  it("reports engine state changes to the view", () => {
    s = setup();
    let states = 0;
    s.chat.onDidChange((e) => (e.kind === "state" ? states++ : undefined));
    s.engine.setState({ kind: "crashed", reason: "SIGKILL", restartInMs: 2500, restarts: 1 });
    assert.equal(states, 1);
    assert.deepEqual(s.chat.viewState.engine, {
      state: "crashed",
      detail: "The model worker stopped (SIGKILL); restarting in 3 s.",
      model: "Tiny Chat",
      contextSize: 4096,
      runsOn: null,
    });
    assert.equal(engineView({ kind: "ready" }, null).detail, "No chat model is loaded.");
    // The remote backend's outage reads like a worker restart: a warning with the server's message.
    assert.deepEqual(
      engineView(
        { kind: "unreachable", code: "remoteUnreachable", reason: "Cannot connect to http://h:8080", retryInMs: 1000 },
        null,
      ),
      {
        state: "crashed",
        detail: "Cannot connect to http://h:8080",
        model: null,
        contextSize: null,
        runsOn: null,
      },
    );
  });

  it("tells the view where the chat model runs: nowhere but here locally, the server with the remote backend", () => {
    let runsOn: string | null = null;
    const engine = new FakeEngine();
    const chat = new ChatController({
      engine,
      store: new MemoryStore(),
      log: new MemoryLog(),
      settings: () => ({ maxTokens: 10, temperature: 0, systemPrompt: "S" }),
      runsOn: () => runsOn,
    });
    try {
      assert.equal(chat.viewState.engine.runsOn, null);
      runsOn = "http://10.0.0.7:8080";
      // A backend switch changes the engine state, and the next view state says where questions go.
      engine.setState({ kind: "ready" });
      assert.equal(chat.viewState.engine.runsOn, "http://10.0.0.7:8080");
    } finally {
      chat.dispose();
    }
  });

  it("dispose interrupts a running answer, aborts it, keeps it, and unsubscribes from the engine", async () => {
    s = setup();
    const answer = s.chat.ask("q");
    const generation = await s.engine.call(0);
    generation.chunk("part");
    assert.equal(s.engine.listenerCount, 1);
    s.chat.dispose();
    assert.equal(generation.options.signal!.aborted, true);
    assert.equal(s.engine.listenerCount, 0);
    assert.equal((await answer).status, "interrupted");
    await s.chat.idle();
    const stored = s.store.get<Conversation>(HISTORY_KEYS.conversation(s.chat.current.id))!;
    assert.equal(last(stored).answer!.status, "interrupted");
    assert.equal(last(stored).answer!.text, "part");
  });

  it("asking while busy stops the running answer first", async () => {
    s = setup();
    const first = s.chat.ask("one");
    (await s.engine.call(0)).chunk("1");
    const second = s.chat.ask("two");
    assert.equal((await first).status, "stopped");
    (await s.engine.call(1)).finish("eogToken", "2");
    assert.equal((await second).text, "2");
    assert.deepEqual(
      s.chat.current.turns.map((t) => t.answer!.status),
      ["stopped", "complete"],
    );
    await flush();
  });
});
