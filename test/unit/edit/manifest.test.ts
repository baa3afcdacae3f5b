import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { EDIT_COMMANDS, EDIT_PENDING_CONTEXT } from "../../../src/core/edit/ids";

interface Keybinding {
  command: string;
  key: string;
  mac?: string;
  when?: string;
}
const root = path.resolve(__dirname, "../../../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  contributes: {
    commands: { command: string }[];
    keybindings: Keybinding[];
    menus: Record<string, { command: string; when?: string }[]>;
  };
};
const { commands, keybindings, menus } = manifest.contributes;

describe("edit contributions in package.json", () => {
  it("declares every edit command", () => {
    const declared = new Set(commands.map((c) => c.command));
    for (const id of Object.values(EDIT_COMMANDS)) assert.ok(declared.has(id), id);
  });

  it("puts Edit Selection in the editor context menu and binds it to a key no other contribution uses", () => {
    assert.ok(menus["editor/context"]!.some((m) => m.command === EDIT_COMMANDS.editSelection));
    const own = keybindings.find((k) => k.command === EDIT_COMMANDS.editSelection)!;
    assert.equal(own.key, "ctrl+shift+alt+e");
    assert.deepEqual(
      keybindings.filter((k) => k.key === own.key).map((k) => k.command),
      [EDIT_COMMANDS.editSelection],
    );
  });

  it("scopes the review keys (Escape, Alt+Y/N) to a pending edit, so they never shadow VS Code's own", () => {
    const review = [
      EDIT_COMMANDS.acceptHunk,
      EDIT_COMMANDS.rejectHunk,
      EDIT_COMMANDS.acceptAll,
      EDIT_COMMANDS.rejectAll,
      EDIT_COMMANDS.cancel,
    ];
    for (const id of review) {
      const binding = keybindings.find((k) => k.command === id);
      assert.ok(binding, `${id} has no key`);
      assert.match(binding.when ?? "", new RegExp(`\\b${EDIT_PENDING_CONTEXT.replace(".", "\\.")}\\b`), id);
    }
    assert.match(keybindings.find((k) => k.command === EDIT_COMMANDS.cancel)!.when!, /!suggestWidgetVisible/);
  });

  it("hides the review commands from the palette unless an edit is pending, and Fix (it needs a diagnostic) always", () => {
    const palette = menus["commandPalette"]!;
    assert.equal(palette.find((m) => m.command === EDIT_COMMANDS.acceptAll)?.when, EDIT_PENDING_CONTEXT);
    assert.equal(palette.find((m) => m.command === EDIT_COMMANDS.fix)?.when, "false");
    // Apply is the chat code block's button: it needs the block, so never from the palette.
    assert.equal(palette.find((m) => m.command === EDIT_COMMANDS.applyCodeBlock)?.when, "false");
  });

  it("puts Generate Tests in the editor context menu and the palette", () => {
    assert.ok(menus["editor/context"]!.some((m) => m.command === EDIT_COMMANDS.generateTests));
    assert.equal(menus["commandPalette"]!.find((m) => m.command === EDIT_COMMANDS.generateTests)?.when, "editorIsOpen");
  });
});
