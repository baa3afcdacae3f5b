import * as assert from "node:assert/strict";
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
    const parent = z.object({ completion: CompletionSettingsSchema.extend({ model: z.string().default("auto") }).prefault({}) });
    const parsed = parent.parse({ completion: { maxLines: 3 } });
    assert.equal(parsed.completion.maxLines, 3);
    assert.equal(parsed.completion.debounceMs, 150);
    assert.equal(parent.parse({}).completion.layout, "psmTail");
  });
});
