/**
 * Whether to offer a better "auto" pick that became possible (more free memory, a new GPU) while a
 * downloaded model keeps working. Pure: the VS Code side shows the notification and downloads only
 * when the user says so; nothing is downloaded or switched by itself.
 */
import type { Role } from "./catalogSchema";
import { formatSize } from "./presentation";

export interface UpgradeInput {
  slot: Role;
  /** The slot's setting; only "auto" gets offers (an explicit choice is the user's). */
  setting: string;
  /** What the slot uses now (a downloaded file); null: nothing works yet (the first-run prompt's case). */
  using: { id: string; quant: string } | null;
  /** auto's pick for this machine now, when it is not downloaded. */
  better: { id: string; displayName: string; quant: string; sizeBytes: number } | null;
  /** Offers the user declined ("Not now"), by offerKey. */
  dismissed: readonly string[];
}

export interface UpgradeOffer {
  key: string;
  message: string;
}

export function offerKey(slot: Role, id: string, quant: string): string {
  return `${slot}:${id}:${quant}`;
}

export function upgradeOffer(input: UpgradeInput): UpgradeOffer | null {
  const { slot, using, better } = input;
  if (input.setting.trim().toLowerCase() !== "auto" || !using || !better) return null;
  if (using.id === better.id && using.quant === better.quant) return null;
  const key = offerKey(slot, better.id, better.quant);
  if (input.dismissed.includes(key)) return null;
  const what = slot === "completion" ? "completion" : "chat";
  return {
    key,
    message:
      `Local Code: this machine now fits a better ${what} model: ${better.displayName} ${better.quant} (${formatSize(better.sizeBytes)} download). ` +
      `Now using ${using.id} ${using.quant}. Download it? Nothing changes until you do.`,
  };
}
