import type { Disposable } from "../engine/engine";

/**
 * A typed event: `on` subscribes (dispose the result to unsubscribe), `fire` calls every listener.
 * Hand-written rather than lifecycle-utils' EventRelay: that package is ESM-only and the tests run as CommonJS.
 */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** With `onListenerError`, a throwing listener is reported there and the others still run; without, it throws. */
  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  readonly on = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    // A copy: a listener may unsubscribe (or subscribe another) while the event is delivered.
    for (const listener of [...this.listeners]) {
      if (!this.onListenerError) {
        listener(value);
        continue;
      }
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
