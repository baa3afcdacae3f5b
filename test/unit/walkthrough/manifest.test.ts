import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { COMPLETION_SAMPLE, SUMMARIZE_SAMPLE, WALKTHROUGH, walkthroughRef } from "../../../src/core/walkthrough/ids";

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string; altText?: string };
  completionEvents?: string[];
}
interface Manifest {
  publisher: string;
  name: string;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    walkthroughs?: { id: string; title: string; steps: Step[] }[];
  };
}

const root = path.resolve(__dirname, "../../../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Manifest;
const declared = new Map(manifest.contributes.commands.map((c) => [c.command, c]));
const walkthrough = manifest.contributes.walkthroughs?.find((w) => w.id === WALKTHROUGH.id);

/** `command:<id>` links in a step description (the buttons VS Code draws). */
function commandLinks(description: string): string[] {
  return [...description.matchAll(/\]\(command:([\w.]+)/g)].map((m) => m[1]!);
}

describe("walkthrough contribution in package.json", () => {
  it("declares the walkthrough with its four steps in order", () => {
    assert.ok(walkthrough, `no walkthrough ${WALKTHROUGH.id}`);
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      Object.values(WALKTHROUGH.steps),
    );
  });

  it("declares the walkthrough commands under Local Code with their titles", () => {
    for (const { id, title } of Object.values(WALKTHROUGH.commands)) {
      const entry = declared.get(id);
      assert.ok(entry, `${id} missing`);
      assert.equal(entry.title, title);
      assert.equal(entry.category, "Local Code");
    }
  });

  it("gives every step a button whose command the extension declares, and completion events on declared commands", () => {
    for (const step of walkthrough!.steps) {
      const links = commandLinks(step.description);
      assert.ok(links.length > 0, `${step.id} has no button`);
      for (const id of links)
        assert.ok(declared.has(id), `${step.id}: button runs ${id}, which package.json does not declare`);
      for (const event of step.completionEvents ?? []) {
        const command = /^onCommand:(.+)$/.exec(event)?.[1];
        if (command) assert.ok(declared.has(command), `${step.id}: completion event on undeclared ${command}`);
      }
    }
  });

  it("points every step at media that exists inside media/ (the VSIX ships media/)", () => {
    for (const step of walkthrough!.steps) {
      const file = step.media.markdown ?? step.media.image;
      assert.ok(file, `${step.id} has no media`);
      assert.ok(file.startsWith("media/"), `${step.id}: ${file} is outside media/`);
      assert.ok(fs.existsSync(path.join(root, file)), `${step.id}: ${file} missing`);
      if (step.media.image) assert.ok(step.media.altText, `${step.id}: image without altText`);
    }
  });

  it("addresses the walkthrough as <publisher>.<name>#<id>", () => {
    assert.equal(
      walkthroughRef(`${manifest.publisher}.${manifest.name}`),
      "localcode.local-code-assistant#localCode.gettingStarted",
    );
  });

  it("has samples that give the model something to do: an open body to complete, a whole function to summarize", () => {
    assert.match(COMPLETION_SAMPLE.text, /\{\n\s*$/);
    assert.match(SUMMARIZE_SAMPLE.text, /^export function groupBy[\s\S]*\n\}\n$/m);
  });
});
