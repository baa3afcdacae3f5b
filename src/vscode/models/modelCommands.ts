/**
 * Model commands: "Select Model" (catalog model, then quant with size, quality and a fit badge for
 * this machine, or a .gguf on disk), "Show Hardware and Model Choice" (what was detected and why
 * each slot gets its pick), and the one first-run prompt to download the recommended completion
 * model.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { readGgufSummary } from "../../client/ggufFile";
import type { Settings } from "../../core/config/settings";
import { modelsForRole } from "../../core/models/catalog";
import type { CatalogModel, Role } from "../../core/models/catalogSchema";
import { pinnedSelections } from "../../core/models/modelPlan";
import { upgradeOffer } from "../../core/models/upgradeOffer";
import {
  FIRST_RUN_DISMISSED_KEY,
  firstRunPromptText,
  formatSize,
  hardwareReportMarkdown,
  type HardwareReportInput,
  MODEL_COMMANDS,
  modelRow,
  quantRows,
  shortModelName,
  slotLabel,
  type SlotReport,
} from "../../core/models/presentation";
import { isNoFit } from "../../core/models/selectModel";
import { remoteHardwareMarkdown } from "../../core/models/remoteReport";
import { isRemoteHardware } from "../../core/engine/types";
import { WALKTHROUGH } from "../../core/walkthrough/ids";
import { downloadWithProgress } from "./downloadWithProgress";
import { acceptLicence, licenceOfferItem } from "./licenceAcceptance";
import type { LicenceOffer } from "../../core/models/licenceOffer";
import type { ModelManager } from "../../core/runtime/modelManager";
import type { ModelPlanner, SlotResolution } from "./modelPlanner";

type Log = vscode.LogOutputChannel;

const REPORT_SCHEME = "localcode-report";
const REPORT_URI = vscode.Uri.from({ scheme: REPORT_SCHEME, path: "/Hardware and Model Choice.md" });

/** Registers localCode.selectModel and localCode.showHardware and schedules the first-run prompt. */
export function registerModelCommands(
  context: vscode.ExtensionContext,
  planner: ModelPlanner,
  models: ModelManager,
  log: Log,
  getSettings: () => Settings,
  invalidSettings: () => readonly string[] = () => [],
  promptBudget: () => HardwareReportInput["promptBudget"] = () => null,
): vscode.Disposable {
  const report = new ReportProvider();
  const deps: Deps = { context, planner, models, log, getSettings, invalidSettings, promptBudget };
  const disposables: vscode.Disposable[] = [
    report,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, report),
    vscode.commands.registerCommand(MODEL_COMMANDS.selectModel.id, (slot?: unknown) =>
      selectModel(deps, slot === "completion" || slot === "chat" ? slot : undefined).catch((error: Error) =>
        reportFailure(log, "Select Model", error),
      ),
    ),
    vscode.commands.registerCommand(MODEL_COMMANDS.showHardware.id, () =>
      showHardware(deps, report).catch((error: Error) => reportFailure(log, "Show Hardware", error)),
    ),
  ];
  // After the window is up; the check measures the hardware, which starts the worker.
  const timer = setTimeout(
    () =>
      void firstRunPrompt(deps)
        .then(() => upgradePrompts(deps))
        .catch((error: Error) => log.warn(`First-run model check failed: ${error.message}`)),
    1500,
  );
  disposables.push({ dispose: () => clearTimeout(timer) });
  return vscode.Disposable.from(...disposables);
}

interface Deps {
  context: vscode.ExtensionContext;
  planner: ModelPlanner;
  models: ModelManager;
  log: Log;
  getSettings: () => Settings;
  /** Dotted keys of settings that failed validation. */
  invalidSettings: () => readonly string[];
  /** Inline completion's prompt window and why (for the report). */
  promptBudget: () => HardwareReportInput["promptBudget"];
}

/** Downloads write to the models folder: refuse while its setting is invalid rather than write elsewhere. */
function downloadBlocked(deps: Deps): boolean {
  if (!deps.invalidSettings().includes("modelsFolder")) return false;
  void vscode.window
    .showErrorMessage(
      "Local Code Assistant: localCode.modelsFolder is invalid (it must be empty or an absolute folder path); fix it before downloading.",
      "Open Settings",
    )
    .then((c) => {
      if (c) void vscode.commands.executeCommand("workbench.action.openSettings", "localCode.modelsFolder");
    });
  return true;
}

function reportFailure(log: Log, what: string, error: Error): void {
  log.error(`${what} failed: ${error.stack ?? error.message}`);
  void vscode.window
    .showErrorMessage(`Local Code Assistant: ${what} failed: ${error.message}`, "Show Log")
    .then((c) => c && log.show());
}

type Item<T> = vscode.QuickPickItem & { value?: T };

async function selectModel(deps: Deps, slotArg?: Role): Promise<void> {
  const settings = deps.getSettings();
  if (settings.backend === "remote") {
    // The server decides which models exist: nothing to download or pick from the catalog here.
    const choice = await vscode.window.showInformationMessage(
      "Local Code Assistant uses a remote server (localCode.backend is remote): its models are set with localCode.remote.completionModel and localCode.remote.chatModel.",
      "Open Settings",
    );
    if (choice) await vscode.commands.executeCommand("workbench.action.openSettings", "localCode.remote");
    return;
  }
  const slot = slotArg ?? (await pickSlot(deps, settings));
  if (!slot) return;

  const { snapshot, plans } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "Local Code: measuring hardware" },
    () => deps.planner.plan(settings),
  );
  void snapshot;
  // What "auto" would choose for this slot, jointly with the other slot's current setting.
  const autoId =
    plans[slot]?.source === "auto"
      ? plans[slot]?.model?.id
      : (await deps.planner.plan(settings, { slot, setting: "auto" })).plans[slot]?.model?.id;
  type ModelChoice =
    | { kind: "auto" }
    | { kind: "file" }
    | { kind: "model"; model: CatalogModel }
    | { kind: "licence"; offer: LicenceOffer };
  const items: Item<ModelChoice>[] = [];
  const current = plans[slot];
  const autoPick =
    current?.source === "auto" && current.selection && !isNoFit(current.selection)
      ? `${current.selection.quant}, ${formatSize(current.selection.sizeBytes)}`
      : null;
  items.push({
    label: "$(sparkle) Auto",
    description: `best fit for this machine: ${autoId}${autoPick ? ` ${autoPick}` : ""}`,
    detail: settings[slot].model === "auto" ? "current setting" : undefined,
    value: { kind: "auto" },
  });
  // A better auto pick that waits on a licence: named, with a row that accepts it.
  const autoSettings: Settings = { ...settings, [slot]: { ...settings[slot], model: "auto" } };
  for (const offer of (await deps.planner.licenceOffers(autoSettings)).filter((o) => o.slot === slot))
    items.push({ ...licenceOfferItem(offer), value: { kind: "licence", offer } });
  items.push({ label: "Catalog", kind: vscode.QuickPickItemKind.Separator });
  for (const model of modelsForRole(slot)) {
    const { plans: candidate } = await deps.planner.plan(settings, { slot, setting: model.id });
    const plan = candidate[slot];
    if (!plan?.ladder || plan.ladder.quants.length === 0) continue;
    const downloaded = await deps.planner.downloadedQuants(
      model,
      settings,
      plan.ladder.quants.map((q) => q.quant),
    );
    const row = modelRow({
      model,
      selection: plan.selection,
      isAuto: model.id === autoId,
      downloadedCount: downloaded.size,
    });
    const isCurrent = settings[slot].model.split(":")[0].toLowerCase() === model.id;
    items.push({
      ...row,
      description: isCurrent ? `${row.description} · current` : row.description,
      value: { kind: "model", model },
    });
  }
  items.push({ label: "", kind: vscode.QuickPickItemKind.Separator });
  items.push({
    label: "$(file) Use a GGUF file on disk…",
    description: "any .gguf model; its header is checked",
    value: { kind: "file" },
  });

  const chosen = await vscode.window.showQuickPick(items, {
    title: `${slotLabel(slot)}: choose a model`,
    placeHolder: `Setting localCode.${slot}.model = ${settings[slot].model}`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  const choice = chosen?.value;
  if (!choice) return;
  if (choice.kind === "auto") return chooseAuto(deps, slot);
  if (choice.kind === "licence")
    return (await acceptLicence(choice.offer)) ? chooseAuto(deps, slot, choice.offer.licenceId) : undefined;
  if (choice.kind === "file") return pickFile(deps, slot);
  await pickQuant(deps, slot, choice.model);
}

/** "auto", and the download of its pick when that is not on disk yet (`acceptedLicence`: just accepted). */
async function chooseAuto(deps: Deps, slot: Role, acceptedLicence?: string): Promise<void> {
  await writeSetting(deps, slot, "auto");
  // The configuration event may not have reached getSettings() yet.
  const current = deps.getSettings();
  const acceptedLicences = [...current.acceptedLicences];
  if (acceptedLicence && !acceptedLicences.includes(acceptedLicence)) acceptedLicences.push(acceptedLicence);
  const settings: Settings = { ...current, acceptedLicences, [slot]: { ...current[slot], model: "auto" } };
  const r = await deps.planner.resolve(settings, slot);
  if (r.modelPath || !r.missing) return;
  const { model, quant, sizeBytes } = r.missing;
  const choice = await vscode.window.showInformationMessage(
    `Auto picks ${shortModelName(model)} ${quant} (${formatSize(sizeBytes)}) for this machine; it is not downloaded yet.`,
    "Download",
  );
  if (choice === "Download") await downloadMissing(deps, slot, r.missing);
}

/** Downloads auto's pick; the setting stays "auto" and the resolver finds the file. */
async function downloadMissing(deps: Deps, slot: Role, missing: NonNullable<SlotResolution["missing"]>): Promise<void> {
  const { model, quant, sizeBytes, spec } = missing;
  if (downloadBlocked(deps)) return;
  const result = await downloadWithProgress(
    deps.context,
    { spec, title: `${shortModelName(model)} ${quant}`, sizeBytes },
    deps.log,
  );
  if (!result) return;
  await deps.planner.markDownloaded(result.path);
  await deps.models.reload(slot);
  void deps.models
    .ensureLoaded(slot)
    .catch((error: Error) => deps.log.warn(`${slot} model not loaded: ${error.message}`));
}

async function pickSlot(deps: Deps, settings: Settings): Promise<Role | undefined> {
  const items: Item<Role>[] = (["completion", "chat"] as const).map((slot) => ({
    label: slotLabel(slot),
    description: `now: ${settings[slot].model}`,
    detail: deps.models.modelName(slot)
      ? `loaded: ${deps.models.modelName(slot)}`
      : (deps.models.problem(slot) ?? undefined),
    value: slot,
  }));
  return (
    await vscode.window.showQuickPick(items, {
      title: "Local Code: Select Model",
      placeHolder: "Which model do you want to change?",
    })
  )?.value;
}

async function pickQuant(deps: Deps, slot: Role, model: CatalogModel): Promise<void> {
  const settings = deps.getSettings();
  const { snapshot, plans } = await deps.planner.plan(settings, { slot, setting: model.id });
  const plan = plans[slot];
  if (!plan?.ladder) {
    void vscode.window.showErrorMessage(
      `Local Code Assistant: ${plan?.problem ?? `${model.id} has no downloadable file.`}`,
    );
    return;
  }
  const pinned = pinnedSelections(plan, snapshot.profile, settings.quantPolicy);
  const downloaded = await deps.planner.downloadedQuants(
    model,
    settings,
    plan.ladder.quants.map((q) => q.quant),
  );
  const recommended = plan.selection && !isNoFit(plan.selection) ? plan.selection.quant : null;
  const rows = quantRows({ ladder: plan.ladder, pinned, recommended, downloaded });
  const licence = model.license.requiresAcceptance
    ? " · accept the licence on Hugging Face first (a token may be needed)"
    : model.license.id && model.license.id !== "apache-2.0"
      ? ` · licence: ${model.license.id}`
      : "";
  const chosen = await vscode.window.showQuickPick(
    rows.map((r): Item<string> => ({ label: r.label, description: r.description, detail: r.detail, value: r.quant })),
    {
      title: `${shortModelName(model)}: choose a quantization (policy ${settings.quantPolicy})${licence}`,
      placeHolder: "Size · quality relative to the best quant · where it runs on this machine",
      matchOnDescription: true,
      matchOnDetail: true,
    },
  );
  const quant = chosen?.value;
  if (!quant) return;
  const row = rows.find((r) => r.quant === quant)!;
  if (row.fit === "none") {
    const go = await vscode.window.showWarningMessage(
      `${model.id} ${quant} does not fit in this machine's free memory; loading it will likely fail.`,
      { modal: true },
      "Download Anyway",
    );
    if (go !== "Download Anyway") return;
  }
  const spec = deps.planner.spec(model, quant, settings);
  const size = plan.ladder.quants.find((q) => q.quant === quant)!.sizeBytes;
  if (!downloaded.has(quant)) {
    if (downloadBlocked(deps)) return;
    const result = await downloadWithProgress(
      deps.context,
      { spec, title: `${shortModelName(model)} ${quant}`, sizeBytes: size },
      deps.log,
    );
    if (!result) return;
    await deps.planner.markDownloaded(result.path);
  }
  await writeSetting(deps, slot, `${model.id}:${quant}`);
}

async function pickFile(deps: Deps, slot: Role): Promise<void> {
  const uris = await vscode.window.showOpenDialog({
    title: `${slotLabel(slot)}: choose a .gguf file`,
    canSelectMany: false,
    canSelectFolders: false,
    filters: { "GGUF models": ["gguf"] },
    openLabel: "Use This Model",
  });
  const file = uris?.[0]?.fsPath;
  if (!file) return;
  try {
    const summary = await readGgufSummary(file);
    deps.log.info(
      `${file}: ${summary.architecture}${summary.name ? ` "${summary.name}"` : ""}, ${summary.fileType ?? "unknown type"}, ${summary.sizeBytes} bytes`,
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Local Code Assistant: ${(error as Error).message}`);
    return;
  }
  await writeSetting(deps, slot, path.resolve(file));
}

/** Writes localCode.<slot>.model (Global) and makes sure the slot reloads even when the value did not change. */
async function writeSetting(deps: Deps, slot: Role, value: string): Promise<void> {
  const config = vscode.workspace.getConfiguration("localCode");
  const key = `${slot}.model`;
  const before = deps.getSettings()[slot].model;
  await config.update(key, value, vscode.ConfigurationTarget.Global);
  const inspected = config.inspect<string>(key);
  const shadow = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (shadow !== undefined && shadow !== value) {
    void vscode.window
      .showWarningMessage(
        `localCode.${key} is set to "${shadow}" in this workspace, which overrides the user setting just written ("${value}").`,
        "Open Workspace Settings",
      )
      .then((c) => {
        if (c) void vscode.commands.executeCommand("workbench.action.openWorkspaceSettings", `localCode.${key}`);
      });
  }
  deps.log.info(`localCode.${key} = ${value}`);
  // A changed value reloads through the extension's onDidChangeConfiguration (loading here could
  // race it with the old settings); the same value (a re-download) needs the nudge here.
  if (before === value) {
    await deps.models.reload(slot);
    void deps.models
      .ensureLoaded(slot)
      .catch((error: Error) => deps.log.warn(`${slot} model not loaded: ${error.message}`));
  }
  void vscode.window.setStatusBarMessage(`Local Code: ${slotLabel(slot).toLowerCase()} set to ${value}`, 5000);
}

class ReportProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private text = "";
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  provideTextDocumentContent(): string {
    return this.text;
  }
  set(text: string): void {
    this.text = text;
    this.changed.fire(REPORT_URI);
  }
  dispose(): void {
    this.changed.dispose();
  }
}

async function slotReports(
  deps: Deps,
  settings: Settings,
): Promise<{ reports: SlotReport[]; snapshot: Awaited<ReturnType<ModelPlanner["plan"]>>["snapshot"] }> {
  const { snapshot, plans } = await deps.planner.plan(settings);
  const reports: SlotReport[] = [];
  for (const slot of ["completion", "chat"] as const) {
    const plan = plans[slot];
    if (!plan) continue;
    const r: SlotResolution = await deps.planner.resolvePlan(plan, settings, snapshot.profile, { full: true });
    reports.push({
      plan,
      status: r.modelPath
        ? { kind: "ready", path: r.modelPath, quant: r.quant ?? "", note: r.note }
        : { kind: "problem", text: r.problem ?? "unknown" },
      downloaded: r.downloaded,
    });
  }
  return { reports, snapshot };
}

async function showHardware(deps: Deps, report: ReportProvider): Promise<void> {
  const settings = deps.getSettings();
  const hardware = await deps.planner.engineHardware();
  if (isRemoteHardware(hardware)) {
    report.set(
      remoteHardwareMarkdown({
        server: hardware.server,
        models: { completion: deps.models.modelName("completion"), chat: deps.models.modelName("chat") },
      }),
    );
  } else {
    await deps.planner.hardware({ refresh: true });
    const { reports, snapshot } = await slotReports(deps, settings);
    report.set(
      hardwareReportMarkdown({
        info: snapshot.info,
        profile: snapshot.profile,
        measuredAt: snapshot.at,
        policy: settings.quantPolicy,
        slots: reports,
        cpuBandwidth: deps.planner.cpuBandwidth(),
        licenceOffers: await deps.planner.licenceOffers(settings),
        promptBudget: deps.promptBudget(),
      }),
    );
  }
  try {
    await vscode.commands.executeCommand("markdown.showPreview", REPORT_URI);
  } catch {
    const doc = await vscode.workspace.openTextDocument(REPORT_URI);
    await vscode.languages.setTextDocumentLanguage(doc, "markdown");
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

const UPGRADE_DISMISSED_KEY = "localCode.upgradeOffersDismissed";

/**
 * An "auto" slot works with a downloaded file while a better pick now fits (more memory, a new
 * GPU): offer it with its size (upgradeOffer decides). Never downloads or switches by itself.
 */
async function upgradePrompts(deps: Deps): Promise<void> {
  const settings = deps.getSettings();
  if (settings.backend === "remote") return;
  for (const slot of ["completion", "chat"] as const) {
    const r = await deps.planner.resolve(settings, slot);
    const using = r.modelPath && r.quant ? { id: r.usingModelId ?? r.plan?.model?.id ?? "", quant: r.quant } : null;
    const better = r.missing
      ? {
          id: r.missing.model.id,
          displayName: r.missing.model.displayName,
          quant: r.missing.quant,
          sizeBytes: r.missing.sizeBytes,
        }
      : null;
    const dismissed = deps.context.globalState.get<string[]>(UPGRADE_DISMISSED_KEY) ?? [];
    const offer = upgradeOffer({ slot, setting: settings[slot].model, using, better, dismissed });
    if (!offer || !r.missing) continue;
    deps.log.info(offer.message);
    const choice = await vscode.window.showInformationMessage(offer.message, "Download", "Not now");
    if (choice === "Not now") await deps.context.globalState.update(UPGRADE_DISMISSED_KEY, [...dismissed, offer.key]);
    if (choice === "Download") await downloadMissing(deps, slot, r.missing);
  }
}

/**
 * Once: completion is "auto" and the recommended file is not on disk (and no other quant of it
 * is), so completion cannot work yet. "Not now" is remembered.
 */
async function firstRunPrompt(deps: Deps): Promise<void> {
  const { context, planner, log } = deps;
  if (context.globalState.get<boolean>(FIRST_RUN_DISMISSED_KEY)) return;
  const settings = deps.getSettings();
  // Remote backend: no local model, so no download to offer.
  if (settings.backend === "remote") return;
  if (settings.completion.model.trim() !== "auto") return;
  const r = await planner.resolve(settings, "completion");
  if (r.modelPath || !r.missing) return;
  const { model, quant, sizeBytes } = r.missing;
  const choice = await vscode.window.showInformationMessage(
    firstRunPromptText(model, quant, sizeBytes),
    "Download",
    "Choose…",
    "Get Started",
    "Not now",
  );
  if (choice === "Not now") {
    await context.globalState.update(FIRST_RUN_DISMISSED_KEY, true);
    log.info("First-run download declined; run Local Code: Select Model to choose a model later.");
    return;
  }
  if (choice === "Get Started") {
    // The walkthrough's first step offers the same download, with the hardware report beside it.
    await vscode.commands.executeCommand(WALKTHROUGH.commands.open.id);
    return;
  }
  if (choice === "Choose…") {
    await vscode.commands.executeCommand(MODEL_COMMANDS.selectModel.id, "completion");
    return;
  }
  if (choice === "Download") await downloadMissing(deps, "completion", r.missing);
}
