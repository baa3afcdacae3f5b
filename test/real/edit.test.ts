/**
 * The edit flow's pure part (prompt, answer extraction, refusal, diff) on both real models, greedy:
 * what a 135M instruct model and a 270M base model do with "rewrite this function". Properties,
 * not wording: a review is offered only for a whole, non-empty rewrite; otherwise a reason.
 */
import * as assert from "node:assert/strict";
import type { WorkerClient } from "../../src/client/workerClient";
import {
  diffReviewLines,
  extractRewrite,
  planEditPrompt,
  restoreIndentation,
  unusableRewrite,
  type EditPromptInput,
} from "../../src/core/edit";
import { CART_TOTAL_INSTRUCTION, CART_TOTAL_LINES } from "../fixtures/real/editSample";
import { realModelPath, type RealModelId } from "../fixtures/real/index";
import { assertNoLeak, realClient } from "./realHarness";

const CONTEXT = 2048;
/** A small function with 2-space indentation, the e2e scenario's file too. */
const SOURCE = CART_TOTAL_LINES;

function input(instruction: string): EditPromptInput {
  return {
    instruction,
    path: "src/cart.js",
    languageId: "javascript",
    indentation: { insertSpaces: true, tabSize: 2 },
    lines: SOURCE,
    range: { startLine: 0, endLine: 6 },
  };
}

interface Outcome {
  stopReason: string;
  answer: string;
  refused: string | null;
  rewrite: string[] | null;
}

async function runEdit(client: WorkerClient, instruction: string, hasChatTemplate: boolean): Promise<Outcome> {
  const plan = await planEditPrompt(input(instruction), {
    contextSize: CONTEXT,
    count: (text, signal) => client.countTokens("chat", text, signal),
  });
  const r = await client.generate("chat", {
    kind: "chat",
    messages: plan.messages,
    maxTokens: plan.maxTokens,
    temperature: 0,
  });
  const refused = unusableRewrite(r.text, r.stopReason, { hasChatTemplate });
  const extracted = extractRewrite(r.text, true);
  const rewrite = refused || !extracted ? null : restoreIndentation(SOURCE.slice(0, 7), extracted);
  return { stopReason: r.stopReason, answer: r.text, refused, rewrite };
}

/** What the review is allowed to show: a whole rewrite that still holds code, or nothing and a reason. */
function assertSafe(o: Outcome): void {
  assertNoLeak(o.answer);
  if (o.refused) return;
  assert.ok(
    o.rewrite && o.rewrite.some((l) => l.trim() !== ""),
    `an empty rewrite was offered: ${JSON.stringify(o.answer)}`,
  );
  const removed = diffReviewLines(SOURCE.slice(0, 7), o.rewrite).filter((l) => l.kind === "removed").length;
  assert.ok(removed < 7, `the review would delete the whole function: ${JSON.stringify(o.answer)}`);
}

const INSTRUCTIONS = ["Add a comment that explains what the function returns.", CART_TOTAL_INSTRUCTION];

type Run = (instruction: string) => Promise<Outcome>;

function describeModel(id: RealModelId, hasChatTemplate: boolean, extra: (run: Run) => void): void {
  describe(`real: Edit Selection on ${id}`, () => {
    let client: WorkerClient;
    // Greedy: one generation per instruction, shared by the tests that look at it.
    const outcomes = new Map<string, Promise<Outcome>>();
    const run: Run = (instruction) => {
      if (!outcomes.has(instruction)) outcomes.set(instruction, runEdit(client, instruction, hasChatTemplate));
      return outcomes.get(instruction)!;
    };
    before(async () => {
      client = realClient();
      const info = await client.load("chat", { modelPath: realModelPath(id), contextSize: CONTEXT });
      assert.equal(info.hasChatTemplate, hasChatTemplate);
    });
    after(async () => {
      await client?.stop();
    });
    for (const instruction of INSTRUCTIONS)
      it(`"${instruction}": a whole rewrite, or a refusal with its reason, never a destructive review`, async () => {
        assertSafe(await run(instruction));
      });
    extra(run);
  });
}

describeModel("smollm2-135m", true, (run) => {
  it("the instruct model answers with one complete code block that ends by itself, offered as a review", async () => {
    const o = await run(INSTRUCTIONS[1]!);
    assert.equal(o.stopReason, "eogToken", JSON.stringify(o.answer));
    assert.equal(o.refused, null, `refused: ${o.refused}`);
    assert.ok(
      o.rewrite?.some((l) => /function total\(items\)/.test(l)),
      JSON.stringify(o.answer),
    );
  });
});

describeModel("gemma3-270m", false, (run) => {
  it("the base model's answer is refused with a reason that names the base model (it repeats the prompt)", async () => {
    const o = await run(INSTRUCTIONS[0]!);
    assert.match(o.refused ?? "", /base model/, `not refused: ${JSON.stringify(o.answer)}`);
  });
});
