/**
 * When to warm up the prompt of a new place (evaluate it without generating, so the first
 * keystroke there pays only for its own tokens): the cursor landed on a line the last prompt was
 * not built for (a file opened or focused, a jump, a click), and the user paused there. Never while
 * the user types (anywhere), never while a request runs, never on battery, never twice for a place.
 */

export interface Place {
  uri: string;
  /** 0-based line of the cursor. */
  line: number;
}

export type WarmUpSkip = "disabled" | "samePlace" | "typing" | "moved" | "busy" | "onBattery" | "noModel";

export type WarmUpDecision = { run: true } | { run: false; reason: WarmUpSkip };

export interface WarmUpCheck {
  now: number;
  /** Where the cursor is now. */
  place: Place;
  enabled: boolean;
  /** A completion request waits or runs: a warm-up must never delay or replace it. */
  busy: boolean;
  /** True only when the machine says it runs on battery; unknown counts as mains power. */
  onBattery: boolean;
  modelLoaded: boolean;
}

export const WARM_UP_PAUSE_MS = 500;

export class WarmUpPlanner {
  /** The place the model's prompt was last built for (a request or a warm-up). */
  private prompted: Place | null = null;
  /** Where the cursor landed without typing, and when; null after a keystroke. */
  private landed: { place: Place; at: number } | null = null;
  private lastKeystrokeAt = -Infinity;

  constructor(readonly pauseMs = WARM_UP_PAUSE_MS) {}

  /** A document changed by typing (in any file): a pending warm-up is off. */
  typed(at: number): void {
    this.lastKeystrokeAt = at;
    this.landed = null;
  }

  /** A completion request was sent for this place: its prompt is in the model's cache now. */
  requested(place: Place): void {
    this.prompted = place;
  }

  /**
   * The cursor moved without an edit, or another editor got focus. Returns the delay after which
   * `check` should be asked, or null when this is no new place.
   */
  moved(place: Place, at: number): number | null {
    if (samePlace(this.prompted, place)) {
      this.landed = null;
      return null;
    }
    this.landed = { place, at };
    return this.pauseMs;
  }

  /** At the end of the pause: run the warm-up now? A yes marks the place as prompted. */
  check(input: WarmUpCheck): WarmUpDecision {
    const skip = (reason: WarmUpSkip): WarmUpDecision => ({ run: false, reason });
    if (!input.enabled) return skip("disabled");
    if (!input.modelLoaded) return skip("noModel");
    const landed = this.landed;
    if (!landed) return skip(input.now - this.lastKeystrokeAt < this.pauseMs ? "typing" : "samePlace");
    if (!samePlace(landed.place, input.place)) return skip("moved");
    if (input.now - this.lastKeystrokeAt < this.pauseMs || input.now - landed.at < this.pauseMs) return skip("typing");
    if (samePlace(this.prompted, input.place)) return skip("samePlace");
    if (input.busy) return skip("busy");
    if (input.onBattery) return skip("onBattery");
    this.landed = null;
    this.prompted = input.place;
    return { run: true };
  }
}

function samePlace(a: Place | null, b: Place): boolean {
  return a !== null && a.uri === b.uri && a.line === b.line;
}

/**
 * Linux power supplies (/sys/class/power_supply/<name>/{type,status}): on battery when a battery
 * discharges and no mains supply is online. Unknown (no battery, unreadable) counts as mains.
 */
export function onBatteryFromSysfs(supplies: readonly { type?: string; status?: string; online?: string }[]): boolean {
  const mainsOnline = supplies.some((s) => s.type?.trim() === "Mains" && s.online?.trim() === "1");
  const discharging = supplies.some((s) => s.type?.trim() === "Battery" && s.status?.trim() === "Discharging");
  return discharging && !mainsOnline;
}

/** macOS `pmset -g batt` output: "Now drawing from 'Battery Power'". */
export function onBatteryFromPmset(output: string): boolean {
  return /drawing from 'Battery Power'/.test(output);
}
