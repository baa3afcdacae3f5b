/**
 * The CatalogResolver ModelManager calls for "auto" and catalog ids: the quant the policy picks
 * on the measured hardware (completion and chat sharing it), as a verified file in the models
 * folder, or a problem that says what to download.
 */
import type { Settings } from "../../core/config/settings";
import type { CatalogResolver, ModelResolution } from "../../core/runtime/modelManager";
import type { ModelPlanner } from "./modelPlanner";
import type { Logger } from "../../core/util/logger";

export function createCatalogResolver(
  planner: Pick<ModelPlanner, "resolve">,
  log: Pick<Logger, "info" | "warn">,
): CatalogResolver {
  // ModelManager resolves before every request: log a slot's outcome only when it changes.
  const lastLogged = new Map<string, string>();
  return async (slot, setting, settings: Settings): Promise<ModelResolution> => {
    const effective: Settings = { ...settings, [slot]: { ...settings[slot], model: setting } };
    let message: string;
    let result: ModelResolution;
    try {
      const r = await planner.resolve(effective, slot);
      result = { modelPath: r.modelPath, problem: r.problem };
      const sel = r.plan?.selection;
      const why = sel && sel.quant !== null ? ` (${sel.reason})` : "";
      message = r.modelPath
        ? `${slot} model "${setting}" -> ${r.modelPath}${r.note ? `; ${r.note}` : ""}${why}`
        : `${slot} model "${setting}": ${r.problem}`;
    } catch (error) {
      const problem = `Could not choose a ${slot} model for "${setting}": ${(error as Error).message}`;
      result = { modelPath: null, problem };
      message = problem;
    }
    if (lastLogged.get(slot) !== message) {
      lastLogged.set(slot, message);
      (result.modelPath ? log.info : log.warn).call(log, message);
    }
    return result;
  };
}
