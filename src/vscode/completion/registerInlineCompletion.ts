/**
 * Inline completion's part of activate(): the extra-context ring and its feeder, the definitions
 * lookup, the provider with what it reacts to (settings, backend and model changes), its warm-ups
 * and its statistics. Everything created here goes into the caller's store.
 */
import * as vscode from "vscode";
import { ExtraContextRing } from "../../core/completion";
import type { ModelRuntime } from "../../core/runtime/modelRuntime";
import type { Logger } from "../../core/util/logger";
import type { ContextExclude } from "../context/contextExclude";
import type { DisposableStore } from "../disposables";
import { ContextFeeder } from "./contextFeeder";
import { DefinitionLookup } from "./definitionLookup";
import { InlineCompletionProvider } from "./inlineCompletionProvider";
import { registerCompletionStatistics } from "./statsView";
import { registerCompletionWarmUp } from "./warmUpTrigger";

export interface InlineCompletion {
  provider: InlineCompletionProvider;
  ring: ExtraContextRing;
  definitions: DefinitionLookup;
}

export function registerInlineCompletion(
  runtime: ModelRuntime,
  exclude: ContextExclude,
  log: Pick<Logger, "info" | "warn" | "debug">,
  store: DisposableStore,
): InlineCompletion {
  const settings = () => runtime.settings.settings.completion;
  const ring = new ExtraContextRing();
  store.add(new ContextFeeder(ring, exclude.isExcluded, exclude.isExcludedPath));
  const definitions = store.add(new DefinitionLookup(() => settings().definitionTokens > 0, exclude.isExcluded, log));
  const provider = store.add(
    new InlineCompletionProvider(runtime.engine, runtime.models, settings, ring, log, {
      exclude: exclude.isExcludedPath,
      definitions: (uri) => definitions.definitionsFor(uri),
    }),
  );
  store.add(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, provider));
  store.add(runtime.onDidChangeSettings(() => provider.settingsChanged()));
  store.add(runtime.onDidChangeBackend(() => provider.backendChanged()));
  store.add(runtime.onDidChangeModel((slot) => slot === "completion" && provider.modelChanged()));
  store.add(registerCompletionWarmUp(provider, settings, definitions.onDidChange));
  store.add(registerCompletionStatistics(provider));
  return { provider, ring, definitions };
}
