import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHAT_IDS } from "../../../src/core/chat/ids";
import { ChatSettingsSchema } from "../../../src/core/chat/settings";

interface Manifest {
  contributes?: {
    viewsContainers?: { activitybar?: { id: string; icon: string }[] };
    views?: Record<string, { id: string; type?: string }[]>;
    commands?: { command: string }[];
    configuration?:
      { properties?: Record<string, { default?: unknown }> } | { properties?: Record<string, { default?: unknown }> }[];
  };
}

const root = path.resolve(__dirname, "../../../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Manifest;
const contributes = manifest.contributes ?? {};

// No skip when the entries are missing: a removed contribution must fail here.
describe("chat contributions in package.json", function () {
  it("declares the activity-bar container with the extension's icon and the chat webview view", () => {
    const container = contributes.viewsContainers?.activitybar?.find((c) => c.id === CHAT_IDS.viewContainer);
    assert.ok(container, "no activity bar container localCode");
    assert.ok(fs.existsSync(path.join(root, container.icon)), `icon ${container.icon} missing`);
    const view = contributes.views?.[CHAT_IDS.viewContainer]?.find((v) => v.id === CHAT_IDS.view);
    assert.equal(view?.type, "webview");
  });

  it("declares every chat command", () => {
    const commands = new Set((contributes.commands ?? []).map((c) => c.command));
    for (const id of Object.values(CHAT_IDS.commands)) assert.ok(commands.has(id), id);
  });

  it("declares the chat settings with the schema's defaults", () => {
    const configurations = Array.isArray(contributes.configuration)
      ? contributes.configuration
      : [contributes.configuration ?? {}];
    const properties = Object.assign({}, ...configurations.map((c) => c.properties ?? {})) as Record<
      string,
      { default?: unknown }
    >;
    const defaults = ChatSettingsSchema.parse({});
    for (const [key, id] of Object.entries(CHAT_IDS.settings)) {
      assert.ok(properties[id], `${id} not declared`);
      assert.deepEqual(properties[id]!.default, defaults[key as keyof typeof defaults], `${id} default`);
    }
  });
});
