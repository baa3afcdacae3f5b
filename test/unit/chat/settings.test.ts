import * as assert from "node:assert/strict";
import { ChatSettingsSchema, DEFAULT_CHAT_SETTINGS, parseChatSettings } from "../../../src/core/chat/settings";

describe("chat settings", () => {
  it("has defaults for every field", () => {
    assert.deepEqual(ChatSettingsSchema.parse({}), DEFAULT_CHAT_SETTINGS);
    assert.equal(DEFAULT_CHAT_SETTINGS.maxTokens, 1024);
    assert.equal(DEFAULT_CHAT_SETTINGS.temperature, 0.2);
    assert.ok(DEFAULT_CHAT_SETTINGS.systemPrompt.length > 20);
  });

  it("rejects out-of-range values in the schema", () => {
    assert.equal(ChatSettingsSchema.safeParse({ maxTokens: 0 }).success, false);
    assert.equal(ChatSettingsSchema.safeParse({ maxTokens: 1.5 }).success, false);
    assert.equal(ChatSettingsSchema.safeParse({ temperature: 3 }).success, false);
    assert.equal(ChatSettingsSchema.safeParse({ systemPrompt: 5 }).success, false);
  });

  it("parseChatSettings falls back per field instead of failing entirely", () => {
    assert.deepEqual(parseChatSettings({ maxTokens: -1, temperature: 0.7, systemPrompt: "Be brief." }), {
      maxTokens: DEFAULT_CHAT_SETTINGS.maxTokens,
      temperature: 0.7,
      systemPrompt: "Be brief.",
    });
    assert.deepEqual(parseChatSettings(null), DEFAULT_CHAT_SETTINGS);
  });
});
