import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { CodeServer } from "./codeServer";
import {
  chromiumPath,
  defaultVsixPath,
  extensionId,
  readManifest,
  resultsDir,
  sampleWorkspaceDir,
  slug,
  type Manifest,
} from "./paths";
import { Workbench } from "./workbench";

/** Chromium flags that work on a machine without network, GPU or sandbox. */
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Settings every scenario gets for the extension (on top of the deterministic workbench ones). */
export function extensionTestSettings(): Record<string, unknown> {
  const settings: Record<string, unknown> = { "localCode.threads": 1 };
  // The deterministic model for feature scenarios: LCA_E2E_MODEL, or per role.
  const model = process.env.LCA_E2E_MODEL;
  const completion = process.env.LCA_E2E_COMPLETION_MODEL ?? model;
  const chat = process.env.LCA_E2E_CHAT_MODEL ?? model;
  if (completion) settings["localCode.completion.model"] = path.resolve(completion);
  if (chat) settings["localCode.chat.model"] = path.resolve(chat);
  return settings;
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `${chromiumPath} not found: install Debian's chromium (scripts/tools/install.sh). The e2e suite never skips.`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

export interface OpenOptions {
  /** Name of the scenario: its screenshots go to test-results/e2e/<slug>/. */
  name: string;
  /** Settings for this scenario, written before the page loads on top of the run's defaults
   *  (each open() starts again from the defaults). */
  settings?: Record<string, unknown>;
  /** Folder to open (default: a fresh copy of test/e2e/fixtures/workspace). */
  folder?: string;
  /** Wait for this status bar text after load (default: none). */
  waitForStatus?: string | RegExp;
}

/**
 * One UI test run: a fresh code-server with the packaged VSIX installed, and one Chromium.
 * Each scenario opens its own browser context (clean browser storage) on its own copy of the
 * sample workspace.
 */
export class E2ESession {
  readonly runDir: string;
  readonly timings: Record<string, number> = {};
  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly vsix: string,
    /** package.json of the extension as installed from the VSIX. */
    readonly manifest: Manifest,
    /** Folder code-server installed the extension into. */
    readonly extensionDir: string,
  ) {
    this.runDir = server.baseDir;
  }

  static async start(options: { vsix?: string } = {}): Promise<E2ESession> {
    const vsix = options.vsix ?? defaultVsixPath();
    if (!fs.existsSync(vsix)) {
      throw new Error(`VSIX not found: ${vsix}. Run "npm run package" (or set LCA_VSIX to a .vsix file).`);
    }
    fs.mkdirSync(resultsDir, { recursive: true });
    const baseDir = fs.mkdtempSync(path.join(process.env.LCA_E2E_TMP ?? os.tmpdir(), "lca-e2e-"));
    const server = new CodeServer({
      baseDir,
      vsix: [vsix],
      settings: extensionTestSettings(),
      logFile: path.join(resultsDir, "code-server.log"),
      removeOnInterrupt: !process.env.LCA_E2E_KEEP,
      env: { LCA_E2E: "1" },
    });
    fs.rmSync(server.logFile, { force: true });
    await server.start();
    const installedDir = fs
      .readdirSync(server.extensionsDir)
      .find(
        (d) =>
          d.toLowerCase().startsWith(`${extensionId.toLowerCase()}-`) &&
          fs.existsSync(path.join(server.extensionsDir, d, "package.json")),
      );
    if (!installedDir) {
      await server.stop();
      throw new Error(
        `${extensionId} is not in ${server.extensionsDir} after --install-extension; installed: ${server.listExtensions().join(", ") || "none"}`,
      );
    }
    const extensionDir = path.join(server.extensionsDir, installedDir);
    const manifest = readManifest(extensionDir);
    let browser: Browser;
    try {
      browser = await launchChromium();
    } catch (e) {
      await server.stop();
      throw e;
    }
    const session = new E2ESession(server, browser, vsix, manifest, extensionDir);
    session.timings.vsixInstallMs = server.installMs;
    session.timings.codeServerStartMs = server.startupMs;
    return session;
  }

  /** Palette titles ("Category: Title") of the commands the installed extension contributes. */
  commandTitles(): string[] {
    const nlsFile = path.join(this.extensionDir, "package.nls.json");
    const nls = fs.existsSync(nlsFile) ? (JSON.parse(fs.readFileSync(nlsFile, "utf8")) as Record<string, string>) : {};
    const t = (s: string) => s.replace(/^%(.+)%$/, (whole, key: string) => nls[key] ?? whole);
    // Commands the manifest hides or limits in the palette (a `when` clause) are not expected there.
    const limited = new Set(
      (this.manifest.contributes?.menus?.commandPalette ?? [])
        .filter((m) => m.when !== undefined)
        .map((m) => m.command),
    );
    return (this.manifest.contributes?.commands ?? [])
      .filter((c) => !limited.has(c.command))
      .map((c) => (c.category ? `${t(c.category)}: ${t(c.title)}` : t(c.title)));
  }

  /** A fresh copy of the sample workspace (or of `from`) for one scenario. */
  makeWorkspace(name: string, from = sampleWorkspaceDir): string {
    const dir = path.join(this.runDir, "workspaces", slug(name));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(from, dir, { recursive: true });
    return dir;
  }

  /** Opens the workbench on a folder in a new browser context. */
  async open(options: OpenOptions): Promise<Workbench> {
    const t0 = Date.now();
    this.server.writeSettings(options.settings ?? {});
    const folder = options.folder ?? this.makeWorkspace(options.name);
    const context = await this.browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const wb = new Workbench(page, context, { screenshotDir: path.join(resultsDir, slug(options.name)) });
    await page.goto(`${this.server.url}/?folder=${encodeURIComponent(folder)}`);
    await wb.waitForReady();
    if (options.waitForStatus) await wb.waitForStatusBarItem(options.waitForStatus, 60_000);
    this.timings[`open:${slug(options.name)}`] = Date.now() - t0;
    await wb.screenshot("workbench loaded");
    return wb;
  }

  async stop(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.server.stop();
    if (!process.env.LCA_E2E_KEEP) this.server.cleanup();
  }
}

let current: Promise<E2ESession> | undefined;

/** The run's session, started on first use (by the first scenario). */
export function getSession(): Promise<E2ESession> {
  current ??= E2ESession.start().then((s) => {
    console.log(
      `      [e2e] code-server ${s.server.url} up in ${s.server.startupMs} ms (VSIX installed in ${s.server.installMs} ms)`,
    );
    return s;
  });
  return current;
}

/** Stops the session if one was started (root hook afterAll). */
export async function stopSession(): Promise<void> {
  if (!current) return;
  const s = await current.catch(() => undefined);
  current = undefined;
  if (!s) return;
  fs.writeFileSync(path.join(resultsDir, "timings.json"), JSON.stringify(s.timings, null, 2) + "\n");
  await s.stop();
}
