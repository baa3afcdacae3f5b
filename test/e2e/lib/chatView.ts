import path from "node:path";
import type { FrameLocator, Locator } from "playwright-core";
import { extensionId, slug } from "./paths";
import { sel, type Workbench } from "./workbench";

export type AnswerStatus = "streaming" | "complete" | "stopped" | "interrupted" | "error";

/** Polls `check` every 100 ms until it returns something truthy; throws `what` after the timeout. */
export async function waitUntil<T>(
  wb: Workbench,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await wb.page.waitForTimeout(100);
  }
}

/**
 * The chat webview view (selectors: docs/chat.md "End-to-end selectors"). Wait for states, not
 * times: every helper polls the DOM of the view's inner frame.
 */
export class ChatView {
  private constructor(
    readonly wb: Workbench,
    readonly frame: FrameLocator,
  ) {}

  /** Runs "Local Code: Open Chat" and waits for the question box. */
  static async open(wb: Workbench): Promise<ChatView> {
    await wb.runCommand("Local Code: Open Chat");
    return new ChatView(wb, await wb.waitForWebviewView({ selector: "#chat-input" }));
  }

  get input(): Locator {
    return this.frame.locator("#chat-input");
  }

  get turns(): Locator {
    return this.frame.locator("#messages .turn");
  }

  get lastTurn(): Locator {
    return this.turns.last();
  }

  /** The rendered answer of a turn. */
  body(turn: Locator): Locator {
    return turn.locator(".message.assistant .markdown-body");
  }

  async waitForTurnCount(count: number, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      this.wb,
      async () => (await this.turns.count()) === count,
      timeoutMs,
      `${count} turn(s) in the chat`,
    );
  }

  /** Types a question, sends it with Enter and returns its new turn. */
  async ask(text: string): Promise<Locator> {
    const before = await this.turns.count();
    await this.input.fill(text);
    await this.input.press("Enter");
    await this.waitForTurnCount(before + 1);
    return this.turns.nth(before);
  }

  async waitForStatus(turn: Locator, status: AnswerStatus, timeoutMs = 90_000): Promise<void> {
    await turn.locator(`.message.assistant.status-${status}`).waitFor({ state: "visible", timeout: timeoutMs });
  }

  /** The answer's status, read from its class. */
  async status(turn: Locator): Promise<AnswerStatus | null> {
    const className = (await turn.locator(".message.assistant").getAttribute("class")) ?? "";
    return (/status-(\w+)/.exec(className)?.[1] as AnswerStatus | undefined) ?? null;
  }

  /**
   * Asserts that a locator's text stays the same for `ms` (checked every 250 ms): what "the
   * stream stopped" looks like from outside. Returns the text.
   */
  async expectStableText(locator: Locator, ms = 3000): Promise<string> {
    const first = await locator.innerText();
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await this.wb.page.waitForTimeout(250);
      const now = await locator.innerText();
      if (now !== first) throw new Error(`the text still changes: ${first.length} -> ${now.length} characters`);
    }
    return first;
  }

  /** Runs a function in the view's own frame (the page the extension's HTML lives in). */
  evaluate<R, A>(fn: (root: HTMLElement, arg: A) => R, arg: A): Promise<R> {
    return this.frame.locator("html").evaluate(fn as (root: HTMLElement, arg: unknown) => R, arg as unknown);
  }

  /** Screenshot of the whole view (the webview element) as <scenario folder>/<name>.png. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.wb.screenshotDir, `${slug(name)}.png`);
    await this.wb.page.locator(sel.webviewView(extensionId)).first().screenshot({ path: file });
    return file;
  }
}
