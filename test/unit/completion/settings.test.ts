import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { CompletionSettingsSchema, DEFAULT_COMPLETION_SETTINGS } from "../../../src/core/completion/settings";

describe("completion settings schema", () => {
  it("has defaults for every field", () => {
    assert.deepEqual(CompletionSettingsSchema.parse({}), DEFAULT_COMPLETION_SETTINGS);
    assert.equal(DEFAULT_COMPLETION_SETTINGS.layout, "psmTail");
    assert.equal(DEFAULT_COMPLETION_SETTINGS.enabled, true);
  });

  it("rejects bad values and names the field", () => {
    const r = CompletionSettingsSchema.safeParse({ layout: "pms", debounceMs: -1 });
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues.map((i) => i.path.join(".")).sort(), ["debounceMs", "layout"]);
  });

  it("folds into a parent schema", () => {
    const parent = z.object({
      completion: CompletionSettingsSchema.extend({ model: z.string().default("auto") }).prefault({}),
    });
    const parsed = parent.parse({ completion: { maxLines: 3 } });
    assert.equal(parsed.completion.maxLines, 3);
    assert.equal(parsed.completion.debounceMs, 150);
    assert.equal(parent.parse({}).completion.layout, "psmTail");
  });
});

describe("completion settings in package.json", () => {
  type Property = { default?: unknown; minimum?: number; maximum?: number };
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../../package.json"), "utf8")) as {
    contributes: {
      configuration: { properties: Record<string, Property> } | { properties: Record<string, Property> }[];
    };
  };
  const configurations = Array.isArray(manifest.contributes.configuration)
    ? manifest.contributes.configuration
    : [manifest.contributes.configuration];
  const properties = Object.assign({}, ...configurations.map((c) => c.properties)) as Record<string, Property>;

  it("declares the prompt-layout settings with the schema's defaults and bounds", () => {
    for (const key of ["layout", "tailLines", "promptTokens"] as const) {
      const id = `localCode.completion.${key}`;
      assert.ok(properties[id], `${id} not declared`);
      assert.deepEqual(properties[id].default, DEFAULT_COMPLETION_SETTINGS[key], `${id} default`);
    }
    // promptTokens: a number in the declared bounds, or "auto".
    const prompt = properties["localCode.completion.promptTokens"] as { anyOf: Property[] };
    const number = prompt.anyOf.find((p) => (p as { type?: string }).type === "integer")!;
    assert.deepEqual(prompt.anyOf.map((p) => (p as { enum?: unknown[] }).enum).filter(Boolean), [["auto"]]);
    assert.equal(CompletionSettingsSchema.safeParse({ promptTokens: "auto" }).success, true);
    assert.equal(CompletionSettingsSchema.safeParse({ promptTokens: "max" }).success, false);
    assert.equal(CompletionSettingsSchema.safeParse({ promptTokens: number.minimum! - 1 }).success, false);
    assert.equal(CompletionSettingsSchema.safeParse({ promptTokens: number.maximum! + 1 }).success, false);
    assert.equal(CompletionSettingsSchema.safeParse({ promptTokens: number.maximum! }).success, true);
    const tail = properties["localCode.completion.tailLines"];
    assert.equal(CompletionSettingsSchema.safeParse({ tailLines: tail.minimum! - 1 }).success, false);
    assert.equal(CompletionSettingsSchema.safeParse({ tailLines: tail.maximum! + 1 }).success, false);
    assert.equal(CompletionSettingsSchema.safeParse({ tailLines: tail.maximum! }).success, true);
  });
});
