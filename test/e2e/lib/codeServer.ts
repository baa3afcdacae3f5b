import { ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { codeServerBin } from "./paths";

/**
 * User settings that keep the workbench deterministic for tests: no AI features or secondary side
 * bar, no welcome page, no suggest widget (so it never takes Tab from inline completions), no
 * auto-closing (so typed text is exactly what lands in the file), no telemetry or updates.
 */
export const deterministicSettings: Record<string, unknown> = {
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.enableExperiments": false,
  "workbench.editor.enablePreview": false,
  "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" },
  "editor.suggestOnTriggerCharacters": false,
  "editor.wordBasedSuggestions": "off",
  "editor.parameterHints.enabled": false,
  "editor.autoClosingBrackets": "never",
  "editor.autoClosingQuotes": "never",
  "editor.autoSurround": "never",
  "editor.formatOnType": false,
  "editor.minimap.enabled": false,
  "editor.inlineSuggest.enabled": true,
  "files.hotExit": "off",
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "git.enabled": false,
  "window.restoreWindows": "none",
};

export interface CodeServerOptions {
  /** Root of this server's config, user data, extensions and logs (default: a new temp folder). */
  baseDir?: string;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** VSIX files to install before the server starts. */
  vsix?: string[];
  /** User settings on top of deterministicSettings. */
  settings?: Record<string, unknown>;
  /** Start with --vscode-option enable-smoke-test-driver (needed for the payload URL parameter). */
  smokeTestDriver?: boolean;
  /** Extra environment for the server (and so for the extension host). */
  env?: Record<string, string>;
  /** Remove baseDir when this process is interrupted (default: true when baseDir is a temp folder we made). */
  removeOnInterrupt?: boolean;
  /** Where the server's stdout/stderr go (default: <baseDir>/code-server.log). */
  logFile?: string;
  /** How long to wait for /healthz (ms). */
  startTimeoutMs?: number;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live servers: killed when this process exits or is interrupted (they are in their own groups). */
const live = new Set<CodeServer>();
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.on("exit", () => live.forEach((s) => s.kill()));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      live.forEach((s) => {
        s.kill();
        if (s.removeOnInterrupt) s.cleanup();
      });
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

/** One code-server process with its own config, user data and extensions folders. */
export class CodeServer {
  readonly baseDir: string;
  readonly configFile: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly logFile: string;
  port = 0;
  /** Milliseconds from spawn to a healthy /healthz. */
  startupMs = 0;
  /** Milliseconds spent installing VSIX files. */
  installMs = 0;
  private proc: ChildProcess | undefined;

  readonly removeOnInterrupt: boolean;

  constructor(private readonly options: CodeServerOptions = {}) {
    this.baseDir = options.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "lca-code-server-"));
    this.removeOnInterrupt = options.removeOnInterrupt ?? options.baseDir === undefined;
    this.configFile = path.join(this.baseDir, "config.yaml");
    this.userDataDir = path.join(this.baseDir, "user-data");
    this.extensionsDir = path.join(this.baseDir, "extensions");
    this.logFile = options.logFile ?? path.join(this.baseDir, "code-server.log");
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get settingsFile(): string {
    return path.join(this.userDataDir, "User", "settings.json");
  }

  /** Environment for code-server: XDG folders inside baseDir so nothing lands in $HOME. */
  private env(): NodeJS.ProcessEnv {
    const xdg = (name: string) => path.join(this.baseDir, "xdg", name);
    return {
      ...process.env,
      XDG_CONFIG_HOME: xdg("config"),
      XDG_DATA_HOME: xdg("data"),
      XDG_CACHE_HOME: xdg("cache"),
      ...(this.options.smokeTestDriver ? { VSCODE_OPTIONS: "enable-smoke-test-driver" } : {}),
      ...this.options.env,
    };
  }

  private commonArgs(): string[] {
    return ["--config", this.configFile, "--user-data-dir", this.userDataDir, "--extensions-dir", this.extensionsDir];
  }

  /** Writes the user settings (deterministic defaults + options.settings + extra). */
  writeSettings(extra: Record<string, unknown> = {}): void {
    fs.mkdirSync(path.dirname(this.settingsFile), { recursive: true });
    const settings = { ...deterministicSettings, ...this.options.settings, ...extra };
    fs.writeFileSync(this.settingsFile, JSON.stringify(settings, null, 4) + "\n");
  }

  /** Merges settings into the user settings file; a running workbench picks the change up. */
  updateSettings(patch: Record<string, unknown>): void {
    const current = fs.existsSync(this.settingsFile)
      ? (JSON.parse(fs.readFileSync(this.settingsFile, "utf8")) as Record<string, unknown>)
      : { ...deterministicSettings };
    fs.writeFileSync(this.settingsFile, JSON.stringify({ ...current, ...patch }, null, 4) + "\n");
  }

  /** `code-server --install-extension <vsix>`: synchronous, works with or without a running server. */
  installExtension(vsix: string): void {
    if (!fs.existsSync(vsix)) throw new Error(`VSIX not found: ${vsix} (run npm run package)`);
    const t0 = Date.now();
    const r = spawnSync(codeServerBin, [...this.commonArgs(), "--install-extension", vsix, "--force"], {
      env: this.env(),
      encoding: "utf8",
      timeout: 180_000,
    });
    fs.appendFileSync(this.logFile, `--- install ${vsix}\n${r.stdout ?? ""}${r.stderr ?? ""}\n`);
    if (r.status !== 0 || !/successfully installed/i.test(`${r.stdout}${r.stderr}`)) {
      throw new Error(
        `installing ${vsix} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`,
      );
    }
    this.installMs += Date.now() - t0;
  }

  /** Lists installed extensions as id@version. */
  listExtensions(): string[] {
    const r = spawnSync(codeServerBin, [...this.commonArgs(), "--list-extensions", "--show-versions"], {
      env: this.env(),
      encoding: "utf8",
    });
    return (r.stdout ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  }

  async start(): Promise<void> {
    if (!fs.existsSync(codeServerBin)) {
      throw new Error(`${codeServerBin} not found: run scripts/tools/install.sh (or npm run tools)`);
    }
    fs.mkdirSync(this.extensionsDir, { recursive: true });
    this.port = this.options.port ?? (await freePort());
    fs.writeFileSync(this.configFile, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    if (!fs.existsSync(this.settingsFile)) this.writeSettings();
    for (const vsix of this.options.vsix ?? []) this.installExtension(vsix);

    const args = [
      ...this.commonArgs(),
      "--bind-addr",
      `127.0.0.1:${this.port}`,
      "--auth",
      "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      "--reconnection-grace-time",
      "10",
      ...(this.options.smokeTestDriver ? ["--vscode-option", "enable-smoke-test-driver"] : []),
    ];
    const log = fs.openSync(this.logFile, "a");
    const t0 = Date.now();
    // detached: its own process group, so stop() ends the server, its extension hosts and
    // everything they forked (the model worker) in one kill.
    this.proc = spawn(codeServerBin, args, { env: this.env(), detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    live.add(this);
    hookSignals();
    let exited: string | undefined;
    this.proc.once("exit", (code, signal) => (exited = `exited with ${signal ?? code}`));

    const deadline = t0 + (this.options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exited) throw new Error(`code-server ${exited} during startup; log: ${this.logFile}\n${this.logTail()}`);
      try {
        const r = await httpGet(`${this.url}/healthz`, 1000);
        if (r.status === 200) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `code-server did not answer /healthz within ${this.options.startTimeoutMs ?? 60_000} ms; log: ${this.logFile}\n${this.logTail()}`,
        );
      }
      await sleep(200);
    }
    this.startupMs = Date.now() - t0;
  }

  logTail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  private killGroup(signal: NodeJS.Signals): boolean {
    const pid = this.proc?.pid;
    if (!pid) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // group already gone
    }
  }

  /** SIGKILLs the process group at once (exit and signal handlers). */
  kill(): void {
    this.killGroup("SIGKILL");
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private groupAlive(): boolean {
    const pid = this.proc?.pid;
    if (!pid) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the whole process group: SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.proc) return;
    this.killGroup("SIGTERM");
    const deadline = Date.now() + graceMs;
    while (this.groupAlive() && Date.now() < deadline) await sleep(100);
    if (this.groupAlive()) this.killGroup("SIGKILL");
    live.delete(this);
    this.proc = undefined;
  }

  /** Removes baseDir (only call when it was a temp folder of ours). */
  cleanup(): void {
    fs.rmSync(this.baseDir, { recursive: true, force: true });
  }
}
