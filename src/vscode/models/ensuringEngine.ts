import type { Engine } from "../../core/engine/engine";
import type { ModelManager } from "./modelManager";

/**
 * The engine as chat and summaries see it: a request on a slot first makes sure the slot's
 * configured model is loaded, so the first question after start-up needs no separate step.
 */
export function ensuringEngine(engine: Engine, models: ModelManager): Engine {
  return Object.assign(Object.create(engine) as Engine, {
    generate: (async (slot, body, options) => {
      await models.ensureLoaded(slot, options?.signal);
      return engine.generate(slot, body, options);
    }) satisfies Engine["generate"],
    countTokens: (async (slot, text, signal) => {
      await models.ensureLoaded(slot, signal);
      return engine.countTokens(slot, text, signal);
    }) satisfies Engine["countTokens"],
  });
}
