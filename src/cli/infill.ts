/**
 * `local-code infill`: the editor's inline completion pipeline (window, FIM layout, generation,
 * post-processing) on a prefix and suffix, so editor behaviour can be scripted and benchmarked.
 */
import type { Engine } from "../core/engine/engine";
import { CompletionSettingsSchema, completionPipeline, FimLayoutSchema } from "../core/completion";
import { intOption, requiredOption, UsageError, type ParsedArgs, LIMITS } from "./args";

export const INFILL_OPTIONS = ["prefix", "suffix", "language", "layout"] as const;

export interface InfillRequest {
  contextSize: number;
  run: (client: Engine) => Promise<Record<string, unknown>>;
}

/** Checks every option first, so a usage error never waits for a model load. */
export function infillRequest(args: ParsedArgs): InfillRequest {
  const prefix = requiredOption(args, "prefix");
  const suffix = requiredOption(args, "suffix");
  const layout = FimLayoutSchema.safeParse(args.options.get("layout") ?? "psmTail");
  if (!layout.success) throw new UsageError(`--layout must be one of ${FimLayoutSchema.options.join(", ")}.`);
  const settings = CompletionSettingsSchema.parse({
    maxTokens: intOption(args, "max-tokens", 64, 1, 1024),
    layout: layout.data,
    timeBudgetMs: 60_000,
  });
  const languageId = args.options.get("language") ?? "plaintext";
  const eol = prefix.includes("\r\n") ? ("\r\n" as const) : ("\n" as const);
  return {
    contextSize: intOption(args, "context", 4096, ...LIMITS.context),
    run: async (client) => {
      const model = client.modelInfo("completion");
      if (!model) throw new Error("The completion model is not loaded.");
      const result = await completionPipeline({
        document: { uri: "cli://infill", languageId, eol, indent: { useTabs: false, size: 4 }, prefix, suffix },
        settings,
        model: { specialTokens: model.specialTokens },
        generate: (slot, body, options) => client.generate(slot, body, options),
        manual: true,
      });
      if (result.reason === "fimUnsupported" || result.reason === "error")
        throw new Error(result.detail ?? result.reason);
      const generation = result.generation;
      return {
        text: result.ghost?.text ?? "",
        // How many characters right of the cursor the text replaces (an auto-closed `)` it already
        // contains): without it `)` inserted and `)` replaced look the same.
        replaceRight: result.ghost?.replaceRight ?? 0,
        reason: result.reason,
        rawText: generation?.text ?? null,
        stopReason: generation?.stopReason ?? null,
        promptTokens: generation?.promptTokens ?? 0,
        reusedPromptTokens: generation?.reusedPromptTokens ?? 0,
        generatedTokens: generation?.generatedTokens ?? 0,
        ms: Math.round(result.timings.totalMs),
        firstChunkMs: result.timings.firstChunkMs === null ? null : Math.round(result.timings.firstChunkMs),
      };
    },
  };
}
