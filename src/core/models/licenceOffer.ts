/**
 * Which "auto" pick waits on a licence: auto skips a model whose licence needs acceptance until its
 * id is in `localCode.acceptedLicences`. Planning once more with every such licence accepted shows
 * what the user would get by accepting; the model choice UI names it and offers to add the id.
 * Pure: the VS Code side plans both ways and shows the offer.
 */
import { loadCatalog } from "./catalog";
import type { Role } from "./catalogSchema";
import { isNoFit } from "./selectModel";
import type { SlotPlans } from "./modelPlan";
import { autoFamilyScore } from "./autoChoice";

export interface LicenceOffer {
  slot: Role;
  modelId: string;
  displayName: string;
  /** The pick's quant once accepted, when one fits. */
  quant: string | null;
  licenceId: string;
  /** The catalog's note on the licence (what to read). */
  note: string | null;
  /** Hugging Face page of the model, where its licence can be read. */
  url: string;
  /** One line for the UI: what auto would pick and how to accept. */
  message: string;
}

/**
 * Licence ids auto's candidates need accepted (requiresAcceptance true or unknown, with a known
 * id), minus those already accepted. A model whose licence has no id can never be accepted by id.
 */
export function acceptableLicenceIds(accepted: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const model of loadCatalog().models) {
    const { id, requiresAcceptance } = model.license;
    if (requiresAcceptance === false || id === null || accepted.includes(id)) continue;
    if (model.roles.some((role) => autoFamilyScore(role, model.id) !== null)) ids.add(id);
  }
  return [...ids].sort();
}

/**
 * For each "auto" slot whose pick would change to a not-yet-accepted model once its licence is
 * accepted: that model and licence. `current` is planned with `accepted`; `unlocked` with
 * `accepted` plus acceptableLicenceIds(accepted).
 */
export function licenceOffers(current: SlotPlans, unlocked: SlotPlans, accepted: readonly string[]): LicenceOffer[] {
  const out: LicenceOffer[] = [];
  for (const slot of ["completion", "chat"] as const) {
    const now = current[slot];
    const then = unlocked[slot];
    if (now?.source !== "auto" || then?.source !== "auto" || !then.model) continue;
    const model = then.model;
    const licenceId = model.license.id;
    if (model.license.requiresAcceptance === false || licenceId === null || accepted.includes(licenceId)) continue;
    if (now.model?.id === model.id) continue;
    const quant = then.selection && !isNoFit(then.selection) ? then.selection.quant : null;
    const pick = `${model.displayName}${quant ? ` ${quant}` : ""}`;
    out.push({
      slot,
      modelId: model.id,
      displayName: model.displayName,
      quant,
      licenceId,
      note: model.license.note,
      url: `https://huggingface.co/${model.baseModel}`,
      message:
        `Auto would pick ${pick} for ${slot} on this machine (now ${now.model?.displayName ?? "nothing"}) ` +
        `once you accept its licence "${licenceId}": read it, then add "${licenceId}" to localCode.acceptedLicences.`,
    });
  }
  return out;
}
