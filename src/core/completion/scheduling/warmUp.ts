/**
 * When to warm up a prompt (evaluate it without generating, so the next keystroke pays only for its
 * own tokens), and which one:
 * - "place": the cursor landed on a line the last prompt was not built for (a file opened or
 *   focused, a jump, a click), or the prompt's context changed (definitions landed), and the user
 *   paused there;
 * - "afterEnter": a request was answered at the end of a line and the user paused there: the prompt
 *   as it will be after Enter, so Enter finds it cached (it is what pays when a new line moves the
 *   prompt's tail anchor, ~300 tokens once per 16 lines).
 * Never while the user types (anywhere), never while a request runs, never on battery, never twice
 * for a place.
 */

export interface Place {
  uri: string;
  /** 0-based line of the cursor. */
  line: number;
}

export type WarmUpSkip = "disabled" | "samePlace" | "typing" | "moved" | "busy" | "onBattery" | "noModel";

/** The prompt a warm-up evaluates: the cursor's place, or the place after Enter at the end of its line. */
export type WarmUpTarget = "place" | "afterEnter";

export type WarmUpDecision = { run: true; target: WarmUpTarget } | { run: false; reason: WarmUpSkip };

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
  /** Where the cursor landed without typing (or a request was answered), when, and what to warm; null after a keystroke. */
  private landed: { place: Place; at: number; target: WarmUpTarget } | null = null;
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
    this.landed = { place, at, target: "place" };
    return this.pauseMs;
  }

  /**
   * A request at this place was answered with the cursor at the end of a non-blank line: after the
   * pause, warm the prompt after Enter. Returns the delay after which `check` should be asked.
   */
  answered(place: Place, at: number): number | null {
    if (samePlace(this.prompted, below(place))) return null;
    this.landed = { place, at, target: "afterEnter" };
    return this.pauseMs;
  }

  /**
   * What the prompt holds for this place changed (definitions landed): the cached prompt is stale,
   * so a pause warms it again (after Enter, when that is what waits here).
   */
  contextChanged(place: Place, at: number): number {
    this.prompted = null;
    const target = this.landed && samePlace(this.landed.place, place) ? this.landed.target : "place";
    this.landed = { place, at, target };
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
    // After Enter the prompt is the next line's (the indentation Enter adds is all it holds there).
    const warmed = landed.target === "afterEnter" ? below(input.place) : input.place;
    if (samePlace(this.prompted, warmed)) return skip("samePlace");
    if (input.busy) return skip("busy");
    if (input.onBattery) return skip("onBattery");
    this.landed = null;
    this.prompted = warmed;
    return { run: true, target: landed.target };
  }
}

function samePlace(a: Place | null, b: Place): boolean {
  return a !== null && a.uri === b.uri && a.line === b.line;
}

function below(place: Place): Place {
  return { uri: place.uri, line: place.line + 1 };
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
