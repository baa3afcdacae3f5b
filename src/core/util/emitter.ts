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

/**
 * The named events of one owner (`Events` maps each name to its value type): `on(name)` is that
 * event's subscribe function, `fire(name, value)` delivers it, `dispose()` drops every listener.
 */
export class EventMap<Events> {
  private readonly emitters = new Map<keyof Events, Emitter<Events[keyof Events]>>();

  on<K extends keyof Events>(name: K): (listener: (value: Events[K]) => void) => Disposable {
    return this.emitter(name).on;
  }

  fire<K extends keyof Events>(name: K, ...value: Events[K] extends void ? [] : [Events[K]]): void {
    this.emitter(name).fire(value[0] as Events[K]);
  }

  dispose(): void {
    for (const emitter of this.emitters.values()) emitter.dispose();
  }

  private emitter<K extends keyof Events>(name: K): Emitter<Events[K]> {
    let emitter = this.emitters.get(name) as unknown as Emitter<Events[K]> | undefined;
    if (!emitter) {
      emitter = new Emitter<Events[K]>();
      this.emitters.set(name, emitter as unknown as Emitter<Events[keyof Events]>);
    }
    return emitter;
  }
}
