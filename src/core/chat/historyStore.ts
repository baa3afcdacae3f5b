/**
 * Conversation history over a small key-value store (in the extension: `context.workspaceState`,
 * whose `vscode.Memento` has exactly this shape). Everything read back is validated; entries that
 * fail validation are skipped and logged, never thrown. Writes are serialised so the index and the
 * conversations cannot race.
 */
import * as z from "zod";
import type { HistoryEntry } from "../protocol/webviewProtocol";
import { ConversationSchema, type Conversation } from "./types";
import type { Logger } from "../util/logger";
import { reduceConversation } from "./conversation";

export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const HISTORY_KEYS = {
  index: "localCode.chat.index",
  current: "localCode.chat.current",
  conversation: (id: string) => `localCode.chat.conversation.${id}`,
} as const;

const IndexSchema = z.array(
  z.object({
    id: z.string().min(1).max(100),
    title: z.string(),
    updatedAt: z.number(),
    turns: z.number().int().min(0),
  }),
);

export interface HistoryStoreOptions {
  /** Oldest conversations beyond this are deleted. */
  maxConversations?: number;
  log?: Pick<Logger, "warn" | "error">;
}

export class HistoryStore {
  private queue: Promise<void> = Promise.resolve();
  private readonly maxConversations: number;

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: HistoryStoreOptions = {},
  ) {
    this.maxConversations = options.maxConversations ?? 50;
  }

  /** Saved conversations, most recently updated first. */
  list(): HistoryEntry[] {
    return this.readIndex()
      .slice()
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /**
   * A saved conversation, or undefined when missing or invalid. An answer that was still
   * streaming when it was saved is marked interrupted (the window closed mid-answer).
   */
  load(id: string): Conversation | undefined {
    const raw = this.store.get<unknown>(HISTORY_KEYS.conversation(id));
    if (raw === undefined) {
      return undefined;
    }
    const parsed = ConversationSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.log?.warn(
        `chat history: skipping invalid conversation ${id}: ${parsed.error.issues[0]?.message ?? "invalid"}`,
      );
      return undefined;
    }
    return reduceConversation(parsed.data, { type: "recover", at: parsed.data.updatedAt });
  }

  /** Save (or replace) a conversation; empty conversations are not kept in the history. */
  save(conversation: Conversation): Promise<void> {
    const snapshot = conversation;
    return this.enqueue(async () => {
      if (snapshot.turns.length === 0) {
        return;
      }
      await this.store.update(HISTORY_KEYS.conversation(snapshot.id), snapshot);
      const entry: HistoryEntry = {
        id: snapshot.id,
        title: snapshot.title,
        updatedAt: snapshot.updatedAt,
        turns: snapshot.turns.length,
      };
      const index = [entry, ...this.readIndex().filter((e) => e.id !== snapshot.id)].sort(
        (a, b) => b.updatedAt - a.updatedAt,
      );
      const kept = index.slice(0, this.maxConversations);
      for (const old of index.slice(this.maxConversations)) {
        await this.store.update(HISTORY_KEYS.conversation(old.id), undefined);
      }
      await this.store.update(HISTORY_KEYS.index, kept);
    });
  }

  delete(id: string): Promise<void> {
    return this.enqueue(async () => {
      await this.store.update(HISTORY_KEYS.conversation(id), undefined);
      await this.store.update(
        HISTORY_KEYS.index,
        this.readIndex().filter((e) => e.id !== id),
      );
      if (this.currentId() === id) {
        await this.store.update(HISTORY_KEYS.current, undefined);
      }
    });
  }

  /** The conversation that was open last (to reopen after a reload). */
  currentId(): string | undefined {
    const id = this.store.get<unknown>(HISTORY_KEYS.current);
    return typeof id === "string" ? id : undefined;
  }

  setCurrentId(id: string | undefined): Promise<void> {
    return this.enqueue(() => this.store.update(HISTORY_KEYS.current, id));
  }

  /** Resolves when every write issued so far has finished. */
  flush(): Promise<void> {
    return this.queue;
  }

  private readIndex(): HistoryEntry[] {
    const parsed = IndexSchema.safeParse(this.store.get<unknown>(HISTORY_KEYS.index) ?? []);
    if (!parsed.success) {
      this.options.log?.warn("chat history: the index is invalid; starting a new one");
      return [];
    }
    return parsed.data.filter((entry) => /^[A-Za-z0-9_-]+$/.test(entry.id));
  }

  /** Writes run one after another; a failed write is logged and does not stop later ones. */
  private enqueue(task: () => PromiseLike<void> | Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).then(undefined, (error: unknown) => {
      this.options.log?.error(`chat history: write failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.queue;
  }
}
