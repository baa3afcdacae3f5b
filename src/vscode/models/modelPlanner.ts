/**
 * The state behind model choice in the extension: one hardware measurement (taken before models
 * are loaded, since loaded models hold memory themselves), where catalog files live in the models
 * folder, which of them are downloaded and verified, and the plan for the current settings.
 * Shared by the catalog resolver and the model commands (one planner per ModelRuntime).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type * as vscode from "vscode";
import * as z from "zod";
import { measureCopyBandwidth } from "../../client/memoryBandwidth";
import { catalogDownloadSpec, verifyModelFile, type DownloadSpec } from "../../client/download/modelDownloader";
import { ladderForGgufFile } from "../../client/ggufFile";
import type { Settings } from "../../core/config/settings";
import type { Engine } from "../../core/engine/engine";
import { autoCandidates, DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND } from "../../core/models/autoChoice";
import { findQuant } from "../../core/models/catalog";
import { acceptableLicenceIds, licenceOffers, type LicenceOffer } from "../../core/models/licenceOffer";
import type { CatalogModel, Role } from "../../core/models/catalogSchema";
import { hardwareProfileFromInfo, type HardwareProfile } from "../../core/models/hardwareProfile";
import {
  planSlots,
  selectAmongDownloaded,
  type SlotInput,
  type SlotPlan,
  type SlotPlans,
} from "../../core/models/modelPlan";
import { notDownloadedProblem } from "../../core/models/presentation";
import { isNoFit, type ModelLadder, type ModelSelection } from "../../core/models/selectModel";
import { isRemoteHardware, type EngineHardware, type HardwareInfo, type Slot } from "../../core/engine/types";
import type { Logger } from "../../core/util/logger";

/**
 * KV sequences per context: the worker creates every context with 2 sequences (src/worker/llamaHost.ts),
 * and node-llama-cpp allocates contextSize cells for each, so the estimate must count both.
 */
export const WORKER_SEQUENCES = 2;

export interface HardwareSnapshot {
  info: HardwareInfo;
  profile: HardwareProfile;
  at: Date;
}

/** What a slot resolves to: a verified file, or a problem, with the plan that led there. */
export interface SlotResolution {
  plan: SlotPlan | null;
  modelPath: string | null;
  problem: string | null;
  /** The quant that will be loaded (for a catalog model). */
  quant: string | null;
  /** Set when the policy's pick is not downloaded and another downloaded quant is used instead. */
  note: string | null;
  /** The policy's pick when it is not downloaded (what Select Model / the first-run prompt offer). */
  missing: { model: CatalogModel; quant: string; sizeBytes: number; spec: DownloadSpec } | null;
  downloaded: Set<string>;
  /** auto fell back to another model of its family (set only then). */
  usingModelId?: string;
}

/** Where the measured CPU bandwidth is kept between sessions (globalState). */
export const CPU_BANDWIDTH_KEY = "localCode.cpuBandwidth";
export interface CpuBandwidthStore {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}
const StoredBandwidthSchema = z.object({ bytesPerSecond: z.number().positive(), measuredAt: z.string() });

/**
 * The probe reads with one thread, slower than the model's threads and lower under load (5.9-10.1
 * GB/s here, where llama-bench's 15.3 tokens/s for a 1.65 GB Q8_0 means ~25 GB/s): so it may only
 * raise auto's stated default, never lower it below what this machine demonstrably reaches.
 */
export function usableBandwidth(measured: { bytesPerSecond: number } | null): number | null {
  return measured && measured.bytesPerSecond > DEFAULT_CPU_BANDWIDTH_BYTES_PER_SECOND ? measured.bytesPerSecond : null;
}

export class ModelPlanner implements vscode.Disposable {
  private snapshot: HardwareSnapshot | null = null;
  private bandwidth: z.infer<typeof StoredBandwidthSchema> | null = null;
  private detecting: Promise<HardwareSnapshot> | null = null;
  private stale = false;
  private readonly verified = new Map<string, string>();
  private readonly ladders = new Map<string, { stamp: string; ladder: ModelLadder | Error }>();
  private readonly stateListener: { dispose(): void };

  constructor(
    private readonly engine: Engine,
    /** <globalStorage>/models: where downloads go unless localCode.modelsFolder says otherwise. */
    readonly defaultModelsDir: string,
    private readonly log: Pick<Logger, "info" | "warn" | "error">,
    /** Absent (tests): no probe runs and auto assumes its default bandwidth. */
    private readonly store?: CpuBandwidthStore,
  ) {
    // After a worker restart (perhaps on another GPU backend) measure again once nothing is loaded.
    this.stateListener = engine.onDidChangeState((state) => {
      if (state.kind === "starting") this.stale = true;
    });
  }

  dispose(): void {
    this.stateListener.dispose();
  }

  private anyModelLoaded(): boolean {
    return this.engine.modelInfo("completion") !== null || this.engine.modelInfo("chat") !== null;
  }

  /** This machine's hardware, or where a remote backend's models run (Show Hardware reports either). */
  engineHardware(): Promise<EngineHardware> {
    return this.engine.hardware();
  }

  private async localHardware(): Promise<HardwareInfo> {
    const hardware = await this.engine.hardware();
    if (isRemoteHardware(hardware))
      throw new Error(
        `the model choice is for the local backend; with localCode.backend set to remote the models run on ${hardware.server}.`,
      );
    return hardware;
  }

  /**
   * The hardware measurement picks are made on. Measured once; measured again when asked to or
   * after a worker restart, and then adopted only while no model is loaded, or when the backend
   * changed (a restart on another GPU setting). So a loaded model's own memory never makes "auto"
   * pick another file.
   */
  async hardware(options: { refresh?: boolean } = {}): Promise<HardwareSnapshot> {
    const measure = this.snapshot === null || options.refresh || this.stale;
    if (!measure) return this.snapshot!;
    this.detecting ??= this.localHardware()
      .then((info) => {
        this.stale = false;
        const previous = this.snapshot;
        if (previous && this.anyModelLoaded() && previous.info.gpu === info.gpu) return previous;
        this.snapshot = { info, profile: hardwareProfileFromInfo(info), at: new Date() };
        this.log.info(
          `Hardware: ${info.gpu}${info.gpuDeviceNames.length ? ` (${info.gpuDeviceNames.join(", ")})` : ""}, ` +
            `VRAM ${(info.vram.free / 2 ** 30).toFixed(2)}/${(info.vram.total / 2 ** 30).toFixed(2)} GiB free, RAM ${(info.ram.free / 2 ** 30).toFixed(2)}/${(info.ram.total / 2 ** 30).toFixed(2)} GiB free`,
        );
        return this.snapshot;
      })
      .finally(() => (this.detecting = null));
    return this.detecting;
  }

  /**
   * CPU memory bandwidth for auto's speed floor: measured once per machine (a ~0.1 s copy probe)
   * and kept in globalState; null without a store.
   */
  cpuBandwidth(): { bytesPerSecond: number; measuredAt: string } | null {
    if (this.bandwidth || !this.store) return this.bandwidth;
    const stored = StoredBandwidthSchema.safeParse(this.store.get(CPU_BANDWIDTH_KEY));
    if (stored.success) return (this.bandwidth = stored.data);
    const bytesPerSecond = measureCopyBandwidth();
    this.bandwidth = { bytesPerSecond, measuredAt: new Date().toISOString() };
    this.log.info(`CPU memory bandwidth: ${(bytesPerSecond / 1e9).toFixed(1)} GB/s (copy probe, once per machine)`);
    void this.store.update(CPU_BANDWIDTH_KEY, this.bandwidth);
    return this.bandwidth;
  }

  /** The header ladder of a path setting (cached per file size and mtime). */
  async fileLadder(filePath: string): Promise<ModelLadder | Error> {
    let stamp: string;
    try {
      const st = await fs.stat(filePath);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      return new Error(`Model file not found: ${filePath}`);
    }
    const cached = this.ladders.get(filePath);
    if (cached?.stamp === stamp) return cached.ladder;
    const ladder = await ladderForGgufFile(filePath).then(
      (r) => r.ladder,
      (error: Error) => error,
    );
    this.ladders.set(filePath, { stamp, ladder });
    return ladder;
  }

  private async slotInput(settings: Settings, slot: Role, setting: string): Promise<SlotInput> {
    const input: SlotInput = { setting, contextSize: settings[slot].contextSize };
    const trimmed = setting.trim();
    if (
      trimmed !== "auto" &&
      (trimmed.includes("/") || trimmed.includes("\\") || trimmed.toLowerCase().endsWith(".gguf")) &&
      path.isAbsolute(trimmed)
    ) {
      input.fileLadder = await this.fileLadder(trimmed);
    }
    return input;
  }

  /**
   * Plans both slots for `settings` (completion and chat share the machine). `override` replaces
   * one slot's setting, e.g. a model being considered in Select Model.
   */
  async plan(
    settings: Settings,
    override?: { slot: Role; setting: string },
  ): Promise<{ snapshot: HardwareSnapshot; plans: SlotPlans }> {
    const snapshot = await this.hardware();
    const settingOf = (slot: Role) => (override?.slot === slot ? override.setting : settings[slot].model);
    const plans = planSlots(
      snapshot.profile,
      settings.quantPolicy,
      {
        completion: await this.slotInput(settings, "completion", settingOf("completion")),
        chat: await this.slotInput(settings, "chat", settingOf("chat")),
      },
      {
        sequences: WORKER_SEQUENCES,
        cpuBandwidthBytesPerSecond: usableBandwidth(this.cpuBandwidth()),
        acceptedLicences: settings.acceptedLicences,
      },
    );
    return { snapshot, plans };
  }

  /** What "auto" would pick once a licence is accepted (licenceOffer.ts): none when nothing changes. */
  async licenceOffers(settings: Settings): Promise<LicenceOffer[]> {
    const more = acceptableLicenceIds(settings.acceptedLicences);
    if (more.length === 0) return [];
    const { plans } = await this.plan(settings);
    const unlocked = await this.plan({ ...settings, acceptedLicences: [...settings.acceptedLicences, ...more] });
    return licenceOffers(plans, unlocked.plans, settings.acceptedLicences);
  }

  /** The models folder: localCode.modelsFolder, else the extension's global storage. */
  modelsDir(settings: Settings): string {
    return settings.modelsFolder || this.defaultModelsDir;
  }

  /** Where a catalog quant lives in the models folder, and how to download it. */
  spec(model: CatalogModel, quant: string, settings: Settings): DownloadSpec {
    const row = findQuant(model, quant);
    if (!row) throw new Error(`${model.id} has no quant ${quant}`);
    return catalogDownloadSpec(model, row, this.modelsDir(settings), settings.downloadEndpoint);
  }

  /** True when the file is in place and passes the downloader's checks (size, GGUF header); cached per size and mtime. */
  async isDownloaded(spec: DownloadSpec): Promise<boolean> {
    let stamp: string;
    try {
      const st = await fs.stat(spec.destPath);
      if (!st.isFile()) return false;
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      return false;
    }
    if (this.verified.get(spec.destPath) === stamp) return true;
    // No SHA-256 here: hashing GBs on every check is too slow, and the downloader hashed it when the catalog has one.
    const check = await verifyModelFile(spec.destPath, {
      sizeBytes: spec.expectedSizeBytes ?? null,
      sha256: null,
    }).catch((error: Error) => ({
      ok: false as const,
      reason: error.message,
    }));
    if (!check.ok) {
      this.log.warn(`${spec.destPath} is not usable (${check.reason}); download it again.`);
      return false;
    }
    this.verified.set(spec.destPath, stamp);
    return true;
  }

  /** The quants of `model` (among `quants`, default all in its ladder) that are downloaded. */
  async downloadedQuants(model: CatalogModel, settings: Settings, quants?: readonly string[]): Promise<Set<string>> {
    const names = quants ?? model.quants.filter((q) => q.file !== null && q.repo !== null).map((q) => q.quant);
    const out = new Set<string>();
    for (const quant of names) if (await this.isDownloaded(this.spec(model, quant, settings))) out.add(quant);
    return out;
  }

  /** Resolves one slot: the pick if downloaded, else the best downloaded quant that fits, else a problem. */
  async resolve(settings: Settings, slot: Slot): Promise<SlotResolution> {
    const { snapshot, plans } = await this.plan(settings);
    return this.resolvePlan(plans[slot], settings, snapshot.profile);
  }

  /**
   * `full`: list every downloaded quant (reports); otherwise stop at the pick when it is on disk,
   * since ModelManager resolves before every request.
   */
  async resolvePlan(
    plan: SlotPlan | null,
    settings: Settings,
    hardware: HardwareProfile,
    options: { full?: boolean } = {},
  ): Promise<SlotResolution> {
    const empty = { quant: null, note: null, missing: null, downloaded: new Set<string>() };
    if (!plan) return { plan, modelPath: null, problem: "No model setting.", ...empty };
    if (plan.problem) return { plan, modelPath: null, problem: plan.problem, ...empty };
    if (plan.source === "path") return { plan, modelPath: plan.setting.trim(), problem: null, ...empty };
    const model = plan.model!;
    const selection = plan.selection;
    const pick = selection && !isNoFit(selection) ? (selection as ModelSelection) : null;
    const pickSpec = pick ? this.spec(model, pick.quant, settings) : null;
    // A downloaded file to load: the pick, or a stand-in (`instead` says why and what is missing).
    const use = (
      modelPath: string,
      quant: string,
      downloaded: Set<string>,
      instead: Pick<SlotResolution, "note" | "missing" | "usingModelId"> = { note: null, missing: null },
    ): SlotResolution => ({ plan, modelPath, problem: null, quant, downloaded, ...instead });
    if (pick && pickSpec && !options.full && (await this.isDownloaded(pickSpec)))
      return use(pickSpec.destPath, pick.quant, new Set([pick.quant]));
    const downloaded = await this.downloadedQuants(
      model,
      settings,
      plan.ladder?.quants.map((q) => q.quant),
    );
    if (!pick || !pickSpec) {
      const why = selection ? selection.reason : "no quant to select";
      return { plan, modelPath: null, problem: `${model.id}: ${why}`, ...empty, downloaded };
    }
    if (downloaded.has(pick.quant)) return use(pickSpec.destPath, pick.quant, downloaded);
    const missing = { model, quant: pick.quant, sizeBytes: pick.sizeBytes, spec: pickSpec };
    const fallback = selectAmongDownloaded(plan, downloaded, hardware, settings.quantPolicy);
    if (fallback && !isNoFit(fallback)) {
      const note = `${pick.quant} would fit better but is not downloaded; using the downloaded ${fallback.quant}`;
      return use(this.spec(model, fallback.quant, settings).destPath, fallback.quant, downloaded, { note, missing });
    }
    if (plan.source === "auto") {
      // auto's model can change with the machine (more memory, a new GPU): keep using a downloaded
      // model of the family that fits, largest first, and leave the better pick as an offer.
      for (const candidate of autoCandidates(plan.slot, { acceptedLicences: settings.acceptedLicences })) {
        if (candidate.id === model.id || !candidate.model) continue;
        const have = await this.downloadedQuants(
          candidate.model,
          settings,
          candidate.ladder.quants.map((q) => q.quant),
        );
        const other = selectAmongDownloaded(
          { ...plan, model: candidate.model, ladder: candidate.ladder, pinQuant: null },
          have,
          hardware,
          settings.quantPolicy,
        );
        if (other && !isNoFit(other)) {
          const note = `${model.id} ${pick.quant} would fit better but is not downloaded; using the downloaded ${candidate.id} ${other.quant}`;
          return use(this.spec(candidate.model, other.quant, settings).destPath, other.quant, downloaded, {
            note,
            missing,
            usingModelId: candidate.id,
          });
        }
      }
    }
    return {
      plan,
      modelPath: null,
      problem: notDownloadedProblem(model.id, pick.quant, pick.sizeBytes),
      quant: null,
      note: null,
      missing,
      downloaded,
    };
  }

  /** A file the downloader just verified: no need to check it again. */
  async markDownloaded(filePath: string): Promise<void> {
    try {
      const st = await fs.stat(filePath);
      this.verified.set(filePath, `${st.size}:${st.mtimeMs}`);
    } catch {
      this.verified.delete(filePath);
    }
  }
}
