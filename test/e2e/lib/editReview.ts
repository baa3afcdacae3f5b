/** Helpers for the edit review (a review tab with CodeLens Accept/Reject), shared by the edit scenarios. */
import assert from "node:assert/strict";
import { extractRewrite } from "../../../src/core/edit";
import { EDIT_REPLY, expectedScriptedChatReply } from "../../fixtures/gguf/index";
import { waitUntil } from "./chatView";
import type { ScenarioContext } from "./scenario";
import { sel } from "./workbench";

/** The rewrite the edit fixture (`bigram-chat-edit`) answers with: a known rewrite of src/math.js. */
export const EDIT_REWRITE = extractRewrite(expectedScriptedChatReply(EDIT_REPLY).text, true)!;

/** The CodeLens links of the active editor. */
export const lenses = (s: ScenarioContext) => s.wb.page.locator(`${sel.activeEditor} .codelens-decoration a`);

/** Waits until the active editor shows exactly `expected` (the whole short file is in view). */
export async function waitForEditorText(s: ScenarioContext, expected: string, what: string): Promise<void> {
  let shown = "";
  await waitUntil(s.wb, async () => (shown = await s.wb.activeEditorText()) === expected, 60_000, what).catch(
    (e: unknown) => {
      throw new Error(`${String(e)}; the editor shows ${JSON.stringify(shown)}`);
    },
  );
}

/** On a failed test: the extension's log, for the reason. */
export function dumpLogOnFailure(s: ScenarioContext, name: string): void {
  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    await s.wb.page.keyboard.press("Escape");
    await s.wb.runCommand("Local Code: Show Log").catch(() => undefined);
    const text = await s.wb.outputPanelText().catch((e: unknown) => `<no log: ${String(e)}>`);
    console.log(`      [${name} e2e] log:\n${text}`);
  });
}

/** The CodeLens link with this exact title nearest the top of the editor. */
export async function topLens(s: ScenarioContext, title: string) {
  const all = lenses(s);
  let best: { index: number; y: number } | null = null;
  for (let i = 0; i < (await all.count()); i++) {
    const link = all.nth(i);
    if ((await link.innerText()).trim() !== title) continue;
    const y = (await link.boundingBox())?.y ?? Infinity;
    if (!best || y < best.y) best = { index: i, y };
  }
  assert.ok(best, `no CodeLens "${title}"; lenses: ${JSON.stringify(await all.allInnerTexts())}`);
  return all.nth(best.index);
}

const EDIT_TITLE = "Local Code: Edit Selection with Instruction…";

/** Selects the whole file and runs Edit Selection with an instruction typed into its input. */
export async function editAll(s: ScenarioContext, file: string, instruction: string): Promise<void> {
  await s.wb.openFile(file);
  await s.wb.focusEditor();
  await s.wb.page.keyboard.press("Control+A");
  await s.wb.runCommand(EDIT_TITLE);
  await s.wb.page
    .locator(sel.quickInputTitle)
    .filter({ hasText: "Local Code: Edit selection" })
    .waitFor({ state: "visible", timeout: 30_000 });
  await s.wb.page.locator(sel.quickInputBox).fill(instruction);
  await s.wb.page.locator(sel.quickInputRow).filter({ hasText: instruction }).first().waitFor({ state: "visible" });
  await s.wb.page.keyboard.press("Enter");
}
