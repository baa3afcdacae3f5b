import type { Disposable } from "../engine/engine";

/** A typed event: `on` subscribes (dispose the result to unsubscribe), `fire` calls every listener. */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  readonly on = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    // A copy: a listener may unsubscribe (or subscribe another) while the event is delivered.
    for (const listener of [...this.listeners]) listener(value);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
