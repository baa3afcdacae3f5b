import fs from "node:fs";
import path from "node:path";
import { getSession, type E2ESession, type OpenOptions } from "./session";
import type { Workbench } from "./workbench";

export interface ScenarioOptions extends Omit<OpenOptions, "name"> {
  /** Mocha timeout for each test and hook of the scenario (ms, default 180 s). */
  timeoutMs?: number;
  /**
   * Runs before the workbench opens (the session is up, `s.workspace` is set), e.g. to build the
   * fixture model the settings point at or start a server; the settings it
   * returns are added to `settings`: for values known only at run time, such as the URL of a
   * server the scenario starts.
   */
  beforeOpen?: (s: ScenarioContext) => Promise<Record<string, unknown> | void>;
}

/** What a scenario's tests use: the workbench page and the run's session. */
export class ScenarioContext {
  private _wb: Workbench | undefined;
  private _session: E2ESession | undefined;

  get wb(): Workbench {
    if (!this._wb) throw new Error("the workbench is not open (did the scenario's before hook fail?)");
    return this._wb;
  }

  get session(): E2ESession {
    if (!this._session) throw new Error("no e2e session");
    return this._session;
  }

  /** Absolute path of a file in this scenario's copy of the workspace. */
  workspaceFile(relativePath: string): string {
    return path.join(this.workspace, relativePath);
  }

  workspace = "";

  /**
   * Polls a workspace file until its content matches (saving in the browser returns before the
   * server has written the file) and returns the content.
   */
  async waitForFile(
    relativePath: string,
    expected: string | RegExp | ((text: string) => boolean),
    timeoutMs = 10_000,
  ): Promise<string> {
    const file = this.workspaceFile(relativePath);
    const ok = (t: string) =>
      typeof expected === "string" ? t === expected : expected instanceof RegExp ? expected.test(t) : expected(t);
    const deadline = Date.now() + timeoutMs;
    let text = "";
    for (;;) {
      text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
      if (ok(text)) return text;
      if (Date.now() > deadline)
        throw new Error(
          `${relativePath} never matched ${String(expected)}; it has ${JSON.stringify(text.slice(0, 500))}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** @internal */
  async open(name: string, options: ScenarioOptions): Promise<void> {
    this._session = await getSession();
    this.workspace = options.folder ?? this._session.makeWorkspace(name);
    const extra = (await options.beforeOpen?.(this)) ?? {};
    this._wb = await this._session.open({
      ...options,
      settings: { ...options.settings, ...extra },
      name,
      folder: this.workspace,
    });
  }

  /** @internal */
  async close(): Promise<void> {
    await this._wb?.close();
    this._wb = undefined;
  }
}

/**
 * Declares one end-to-end scenario: a mocha `describe` that opens a fresh workbench (new browser
 * context, fresh copy of the sample workspace, scenario settings) before its tests, screenshots
 * every failed test and closes the page afterwards. The tests inside share that one page, in order.
 *
 *     scenario("ghost text", { settings: {...} }, (s) => {
 *         it("shows ghost text", async () => {
 *             await s.wb.step("open file", () => s.wb.openFile("src/math.ts"));
 *         });
 *     });
 */
export function scenario(name: string, define: (s: ScenarioContext) => void): void;
export function scenario(name: string, options: ScenarioOptions, define: (s: ScenarioContext) => void): void;
export function scenario(
  name: string,
  optionsOrDefine: ScenarioOptions | ((s: ScenarioContext) => void),
  maybeDefine?: (s: ScenarioContext) => void,
): void {
  const options = typeof optionsOrDefine === "function" ? {} : optionsOrDefine;
  const define = typeof optionsOrDefine === "function" ? optionsOrDefine : maybeDefine!;
  describe(name, function () {
    this.timeout(options.timeoutMs ?? 180_000);
    const ctx = new ScenarioContext();
    before(async function () {
      await ctx.open(name, options);
    });
    afterEach(async function () {
      const test = this.currentTest;
      if (test?.state !== "failed") return;
      let wb: Workbench | undefined;
      try {
        wb = ctx.wb;
      } catch {
        return;
      }
      const shot = await wb.screenshot(`FAILED ${test.title}`);
      const consoleLog = path.join(wb.screenshotDir, "browser-console.log");
      fs.writeFileSync(consoleLog, wb.consoleLines.join("\n") + "\n");
      console.log(
        `      [e2e] failure screenshot: ${path.relative(process.cwd(), shot)}; browser console: ${path.relative(process.cwd(), consoleLog)}`,
      );
    });
    after(async function () {
      await ctx.close();
    });
    define(ctx);
  });
}
