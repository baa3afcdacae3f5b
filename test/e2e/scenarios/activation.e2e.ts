import assert from "node:assert/strict";
import { extensionId } from "../lib/paths";
import { scenario } from "../lib/scenario";

scenario("extension activates", (s) => {
  it("is installed from the VSIX", () => {
    const { version } = s.session.manifest;
    const installed = s.session.server.listExtensions().map((e) => e.toLowerCase());
    assert.ok(installed.includes(`${extensionId}@${version}`), `installed: ${installed.join(", ")}`);
  });

  it("shows its status bar item", async () => {
    const text = await s.wb.step("status bar item", () => s.wb.waitForStatusBarItem(/Local Code/i, 60_000));
    assert.match(text, /Local Code/i);
  });

  it("contributes its commands to the command palette", async () => {
    const titles = s.session.commandTitles();
    assert.ok(titles.length > 0, "package.json contributes no commands");
    const missing: string[] = [];
    for (const title of titles) {
      if (!(await s.wb.hasCommand(title))) missing.push(title);
    }
    await s.wb.screenshot("command palette checked");
    assert.deepEqual(missing, [], `commands missing from the palette: ${missing.join(", ")}`);
  });

  it("runs Local Code: Show Log", async () => {
    await s.wb.step("show log", async () => {
      await s.wb.runCommand("Local Code: Show Log");
      await s.wb.page.locator(".part.panel .output-view").waitFor({ state: "visible", timeout: 30_000 });
    });
  });
});
