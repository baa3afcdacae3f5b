import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, FrameLocator, Locator, Page } from "playwright-core";
import { extensionId, slug } from "./paths";

/** Selectors that hold for VS Code 1.139 (code-server 4.139). */
export const sel = {
  workbench: ".monaco-workbench",
  editorPart: ".monaco-workbench .part.editor",
  activeEditor: ".editor-group-container.active .monaco-editor",
  ghostText: ".ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text",
  quickInput: ".quick-input-widget",
  quickInputBox: ".quick-input-widget .quick-input-box input",
  quickInputRow: ".quick-input-widget .quick-input-list .monaco-list-row",
  quickInputTitle: ".quick-input-widget .quick-input-title",
  quickInputRowLabel: ".monaco-icon-label .label-name",
  notificationToastItem: ".notifications-toasts .notification-list-item",
  statusBarItem: ".part.statusbar .statusbar-item",
  notificationToast: ".notifications-toasts .notification-list-item-message",
  notificationCenter: ".notifications-center",
  notificationCenterItem: ".notifications-center .notification-list-item-message",
  webviewView: (extId: string) => `iframe.webview.ready[src*="extensionId=${extId}"][src*="purpose=webviewView"]`,
};

export interface WorkbenchOptions {
  /** Folder for this workbench's step and failure screenshots. */
  screenshotDir: string;
  /** Default timeout of the helpers (ms). */
  timeoutMs?: number;
}

/**
 * A VS Code workbench in one browser page, with the helpers the scenarios use. Every `step()`
 * ends with a screenshot <screenshotDir>/<NN>-<step>.png; `screenshot()` takes one at any time.
 */
export class Workbench {
  readonly timeoutMs: number;
  private shots = 0;
  /** Messages the page printed to its console (handy when a scenario fails). */
  readonly consoleLines: string[] = [];

  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    private readonly options: WorkbenchOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    fs.mkdirSync(options.screenshotDir, { recursive: true });
    page.on("console", (m) => this.consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => this.consoleLines.push(`[pageerror] ${e.message}`));
  }

  get screenshotDir(): string {
    return this.options.screenshotDir;
  }

  /** Saves a screenshot and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.options.screenshotDir, `${String(++this.shots).padStart(2, "0")}-${slug(name)}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  /** Runs one step of a scenario and screenshots the result (also when it fails). */
  async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      await this.screenshot(name);
      return result;
    } catch (err) {
      const shot = await this.screenshot(`FAILED ${name}`);
      if (err instanceof Error) err.message = `step "${name}" failed: ${err.message}\n  screenshot: ${shot}`;
      throw err;
    }
  }

  /** Waits until the workbench has rendered its editor area. */
  async waitForReady(): Promise<void> {
    await this.page.locator(sel.editorPart).waitFor({ state: "visible", timeout: 60_000 });
    // Let the restored layout and the extension host settle a little.
    await this.page.locator(sel.statusBarItem).first().waitFor({ state: "visible", timeout: 60_000 });
  }

  // ---------------------------------------------------------------- command palette

  /** Opens the command palette (F1) and returns its input box. */
  async openCommandPalette(): Promise<Locator> {
    const input = this.page.locator(sel.quickInputBox);
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.keyboard.press("F1");
      try {
        await input.waitFor({ state: "visible", timeout: 5000 });
        return input;
      } catch {
        await this.page.keyboard.press("Escape");
        await this.page
          .locator(sel.editorPart)
          .click({ position: { x: 5, y: 5 } })
          .catch(() => undefined);
      }
    }
    throw new Error("the command palette did not open");
  }

  /** Runs a command by its palette title, e.g. "Local Code: Show Log". */
  async runCommand(title: string): Promise<void> {
    // The palette can be closed under us by a focus change (a webview such as the walkthrough page
    // taking focus as it renders), before the title is typed or between finding its row and the
    // click: then the command has not run, so open the palette again and retry.
    const row = this.page.locator(sel.quickInputRow).filter({ hasText: title }).first();
    for (let attempt = 1; ; attempt++) {
      const input = await this.openCommandPalette();
      const filled = await input.fill(`>${title}`, { timeout: 5000 }).then(
        () => true,
        () => false,
      );
      if (filled) {
        try {
          await row.waitFor({ state: "visible", timeout: this.timeoutMs });
        } catch {
          const paletteOpen = await this.page.locator(sel.quickInput).isVisible();
          if (!paletteOpen && attempt < 3) continue;
          const rows = await this.page.locator(sel.quickInputRow).allInnerTexts();
          await this.page.keyboard.press("Escape");
          throw new Error(`no command "${title}" in the palette; it shows: ${JSON.stringify(rows.slice(0, 10))}`);
        }
        const clicked = await row.click({ timeout: 5000 }).then(
          () => true,
          () => false,
        );
        if (clicked) break;
        // A failed click never ran the command; a palette still open here is a real failure.
        if (await this.page.locator(sel.quickInput).isVisible()) await row.click();
        else if (attempt < 3) continue;
        else throw new Error(`the command palette closed before "${title}" could be chosen`);
        break;
      }
      if (attempt === 3) throw new Error(`the command palette closed before "${title}" could be typed into it`);
    }
    await this.page
      .locator(sel.quickInput)
      .waitFor({ state: "hidden", timeout: this.timeoutMs })
      .catch(() => undefined);
  }

  /** Whether the command palette lists a command with this exact title. */
  async hasCommand(title: string): Promise<boolean> {
    const input = await this.openCommandPalette();
    await input.fill(`>${title}`);
    const row = this.page.locator(sel.quickInputRow).filter({ hasText: title }).first();
    const found = await row.waitFor({ state: "visible", timeout: 5000 }).then(
      () => true,
      () => false,
    );
    await this.page.keyboard.press("Escape");
    return found;
  }

  /**
   * In an open QuickPick whose title contains `title`, filters by `label` and clicks the row whose
   * label is exactly `label` (codicons in the label are ignored). Waits for the QuickPick, which
   * an extension may open only after some work.
   */
  async pickQuickItem(title: string, label: string, timeoutMs = 60_000): Promise<void> {
    await this.page
      .locator(sel.quickInputTitle)
      .filter({ hasText: title })
      .first()
      .waitFor({ state: "visible", timeout: timeoutMs });
    await this.page.locator(sel.quickInputBox).fill(label);
    const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
    const row = this.page
      .locator(sel.quickInputRow)
      .filter({ has: this.page.locator(sel.quickInputRowLabel, { hasText: exact }) })
      .first();
    try {
      await row.waitFor({ state: "visible", timeout: this.timeoutMs });
    } catch {
      const rows = await this.page.locator(sel.quickInputRow).allInnerTexts();
      throw new Error(`no row "${label}" in the QuickPick "${title}"; it shows: ${JSON.stringify(rows.slice(0, 10))}`);
    }
    await row.click();
  }

  // ---------------------------------------------------------------- editor

  /** Opens a workspace file by its relative path through Quick Open (Ctrl+P). */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press("Control+P");
    const input = this.page.locator(sel.quickInputBox);
    await input.waitFor({ state: "visible", timeout: this.timeoutMs });
    await input.fill(relativePath);
    const base = path.basename(relativePath);
    const row = this.page.locator(sel.quickInputRow).filter({ hasText: base }).first();
    await row.waitFor({ state: "visible", timeout: this.timeoutMs });
    await this.page.keyboard.press("Enter");
    await this.page
      .locator(
        `.tabs-container .tab.active[data-resource-name="${base}"], .tabs-container .tab.active:has-text("${base}")`,
      )
      .first()
      .waitFor({ state: "visible", timeout: this.timeoutMs });
    await this.page.locator(sel.activeEditor).waitFor({ state: "visible", timeout: this.timeoutMs });
  }

  /**
   * The text of the active editor as rendered (only the lines in view are in the DOM; save and
   * read the file for long ones). Non-breaking spaces are turned back into spaces.
   */
  async activeEditorText(): Promise<string> {
    const editor = this.page.locator(sel.activeEditor).first();
    await editor.waitFor({ state: "visible", timeout: this.timeoutMs });
    return editor.evaluate((el) => {
      const lines = Array.from(el.querySelectorAll<HTMLElement>(".view-lines .view-line"));
      lines.sort((a, b) => parseFloat(a.style.top || "0") - parseFloat(b.style.top || "0"));
      return lines.map((l) => (l.textContent ?? "").replace(/\u00a0/g, " ")).join("\n");
    });
  }

  /** Focuses the active editor (without moving the cursor when focusOnly). */
  async focusEditor(): Promise<void> {
    const editor = this.page.locator(sel.activeEditor).first();
    await editor.waitFor({ state: "visible", timeout: this.timeoutMs });
    await editor.locator("textarea, .native-edit-context").first().focus();
  }

  /** Moves the cursor to the end of the document (Ctrl+End). */
  async goToEnd(): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press("Control+End");
  }

  /** Types into the active editor like a user (focuses it first; `delayMs` between keys). */
  async typeInEditor(text: string, delayMs = 20): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.type(text, { delay: delayMs });
  }

  /**
   * Saves the active editor (Ctrl+S) and waits until its tab is no longer dirty. The file on
   * disk may lag a moment behind: read it with ScenarioContext.waitForFile().
   */
  async save(): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press("Control+S");
    await this.page
      .locator(".tabs-container .tab.active.dirty")
      .waitFor({ state: "detached", timeout: this.timeoutMs });
  }

  /**
   * Asks for inline completions at the cursor (command editor.action.inlineSuggest.trigger,
   * "Trigger Inline Suggestion"), as if the user had typed: useful when the provider was not
   * registered yet when the text was typed. Focus returns to the editor.
   */
  async triggerInlineSuggest(): Promise<void> {
    await this.runCommand("Trigger Inline Suggestion");
  }

  /**
   * Waits for inline-completion ghost text in the active editor and returns its text.
   * `trigger`: also trigger inline suggestions explicitly (at once and every `retriggerMs`
   * while none shows). Type only after the extension is ready (status bar) to need neither.
   */
  async waitForGhostText(
    options: { contains?: string | RegExp; timeoutMs?: number; trigger?: boolean; retriggerMs?: number } = {},
  ): Promise<string> {
    const ghost = this.page.locator(`${sel.activeEditor} :is(${sel.ghostText})`);
    const deadline = Date.now() + (options.timeoutMs ?? this.timeoutMs);
    let last = "";
    let nextTrigger = options.trigger ? Date.now() : Infinity;
    for (;;) {
      if (Date.now() >= nextTrigger) {
        await this.triggerInlineSuggest();
        nextTrigger = Date.now() + (options.retriggerMs ?? 5000);
      }
      if ((await ghost.count()) > 0) {
        last = (await ghost.allTextContents()).join("").replace(/\u00a0/g, " ");
        const c = options.contains;
        if (last && (c === undefined || (typeof c === "string" ? last.includes(c) : c.test(last)))) return last;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no ghost text${options.contains ? ` matching ${String(options.contains)}` : ""} (last seen: ${JSON.stringify(last)})`,
        );
      }
      await this.page.waitForTimeout(100);
    }
  }

  /** Whether ghost text is showing right now. */
  async hasGhostText(): Promise<boolean> {
    return (await this.page.locator(`${sel.activeEditor} :is(${sel.ghostText})`).count()) > 0;
  }

  // ---------------------------------------------------------------- webviews

  /**
   * The content frame of one of this extension's webview views (e.g. the chat view). Webview
   * views are overlay iframes at the workbench root, not inside the side bar; the extension's
   * own DOM is in the inner iframe#active-frame. Open the view first (runCommand / the activity
   * bar). `index` picks among several visible webview views.
   */
  webviewView(options: { extensionId?: string; index?: number } = {}): FrameLocator {
    const outer = this.page.locator(sel.webviewView(options.extensionId ?? extensionId)).nth(options.index ?? 0);
    return outer.contentFrame().frameLocator("iframe#active-frame");
  }

  /** Waits for a webview view of the extension to be ready and returns its content frame. */
  async waitForWebviewView(
    options: { extensionId?: string; index?: number; selector?: string } = {},
  ): Promise<FrameLocator> {
    await this.page
      .locator(sel.webviewView(options.extensionId ?? extensionId))
      .nth(options.index ?? 0)
      .waitFor({ state: "attached", timeout: this.timeoutMs });
    const frame = this.webviewView(options);
    await frame
      .locator(options.selector ?? "body")
      .first()
      .waitFor({ state: "attached", timeout: this.timeoutMs });
    return frame;
  }

  // ---------------------------------------------------------------- notifications & status bar

  /**
   * All notification messages: the visible toasts plus the notification center's list (toasts
   * are suppressed in smoke-test mode; the center always has them). Leaves the center closed.
   */
  async readNotifications(): Promise<string[]> {
    const toasts = await this.page.locator(sel.notificationToast).allInnerTexts();
    await this.runCommand("Notifications: Show Notifications");
    const center = this.page.locator(sel.notificationCenter);
    await center.waitFor({ state: "visible", timeout: this.timeoutMs });
    const listed = await this.page.locator(sel.notificationCenterItem).allInnerTexts();
    await this.screenshot("notifications");
    await this.runCommand("Notifications: Hide Notifications").catch(() => this.page.keyboard.press("Escape"));
    return [...new Set([...toasts, ...listed].map((t) => t.trim()).filter(Boolean))];
  }

  /** Waits for a notification whose message matches and returns its text. */
  async waitForNotification(match: string | RegExp, timeoutMs = this.timeoutMs): Promise<string> {
    const test = (t: string) => (typeof match === "string" ? t.includes(match) : match.test(t));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const toasts = await this.page.locator(sel.notificationToast).allInnerTexts();
      const hit = toasts.find(test);
      if (hit) return hit;
      if (Date.now() > deadline) {
        const all = await this.readNotifications();
        const late = all.find(test);
        if (late) return late;
        throw new Error(`no notification matching ${String(match)}; seen: ${JSON.stringify(all)}`);
      }
      await this.page.waitForTimeout(250);
    }
  }

  /** The notification toast whose message matches (for its buttons and progress). */
  notificationToast(match: string | RegExp): Locator {
    return this.page
      .locator(sel.notificationToastItem)
      .filter({ has: this.page.locator(".notification-list-item-message", { hasText: match }) });
  }

  /** Clicks a button (e.g. "Cancel", "Download") of the toast whose message matches. */
  async clickNotificationButton(match: string | RegExp, button: string): Promise<void> {
    const toast = this.notificationToast(match).first();
    await toast.waitFor({ state: "visible", timeout: this.timeoutMs });
    await toast.hover();
    await toast.getByRole("button", { name: button, exact: true }).click();
  }

  /** Closes every notification (command "Notifications: Clear All Notifications"). */
  async clearNotifications(): Promise<void> {
    await this.runCommand("Notifications: Clear All Notifications");
  }

  /** The status bar items whose visible text matches. */
  statusBarItem(match: string | RegExp): Locator {
    return this.page.locator(sel.statusBarItem).filter({ hasText: match });
  }

  /** Waits for a status bar item matching `match` and returns its text. */
  async waitForStatusBarItem(match: string | RegExp, timeoutMs = this.timeoutMs): Promise<string> {
    const item = this.statusBarItem(match).first();
    await item.waitFor({ state: "visible", timeout: timeoutMs });
    return (await item.innerText()).trim();
  }

  /** Texts of all status bar items (for messages and debugging). */
  async statusBarTexts(): Promise<string[]> {
    return (await this.page.locator(sel.statusBarItem).allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  }

  // ---------------------------------------------------------------- output channel

  /** The visible text of the Output panel (after e.g. runCommand("Local Code: Show Log")). */
  async outputPanelText(): Promise<string> {
    const view = this.page.locator(".part.panel .output-view .monaco-editor .view-lines").first();
    await view.waitFor({ state: "visible", timeout: this.timeoutMs });
    return view.evaluate((el) =>
      Array.from(el.querySelectorAll<HTMLElement>(".view-line"))
        .sort((a, b) => parseFloat(a.style.top || "0") - parseFloat(b.style.top || "0"))
        .map((l) => (l.textContent ?? "").replace(/\u00a0/g, " "))
        .join("\n"),
    );
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }
}
