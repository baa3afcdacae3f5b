import * as assert from "node:assert/strict";
import {
  MESSAGE_OVERHEAD_TOKENS,
  planPrompt,
  type PromptPlan,
  type PromptPlanInput,
} from "../../../src/core/chat/budget";
import type { Turn } from "../../../src/core/chat/types";
import { item, turn } from "./helpers";

const count = async (text: string) => Math.ceil(text.length / 4);

function input(overrides: Partial<PromptPlanInput>): PromptPlanInput {
  return {
    systemPrompt: "You are helpful.",
    history: [],
    question: { text: "What now?", context: [] },
    contextSize: 4096,
    maxTokens: 512,
    count,
    ...overrides,
  };
}

async function used(plan: PromptPlan): Promise<number> {
  let total = 0;
  for (const message of plan.messages) total += (await count(message.content)) + MESSAGE_OVERHEAD_TOKENS;
  return total;
}

function history(n: number, size: number): Turn[] {
  return Array.from({ length: n }, (_, i) =>
    turn(`t${i}`, `Question number ${i}: ${"q".repeat(size)}`, `Answer ${i}: ${"a".repeat(size)}`),
  );
}

describe("chat context budgeting", () => {
  it("sends system, all history and the question when they fit", async () => {
    const plan = await planPrompt(input({ history: history(3, 10) }));
    assert.deepEqual(
      plan.messages.map((m) => m.role),
      ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"],
    );
    assert.equal(plan.messages[1]!.content.startsWith("Question number 0"), true);
    assert.equal(plan.messages.at(-1)!.content, "What now?");
    assert.equal(plan.droppedTurns, 0);
    assert.deepEqual(plan.notes, []);
    assert.equal(plan.maxTokens, 512);
  });

  it("drops the oldest turns first when the conversation outgrows the window, with a note and a recap", async () => {
    // Each turn costs ~ (2 * 1000 chars) / 4 = 500 tokens; the window leaves room for ~2-3 of them.
    const plan = await planPrompt(input({ history: history(10, 1000), contextSize: 2048, maxTokens: 256 }));
    assert.ok(plan.droppedTurns > 0 && plan.droppedTurns < 10, `dropped ${plan.droppedTurns}`);
    assert.equal(plan.includedTurns + plan.droppedTurns, 10);
    // The newest turns are the ones kept, in order.
    const users = plan.messages.filter((m) => m.role === "user").map((m) => m.content);
    assert.match(users[0]!, new RegExp(`^Question number ${plan.droppedTurns}:`));
    assert.match(users.at(-2)!, /^Question number 9:/);
    assert.equal(users.at(-1), "What now?");
    assert.equal(plan.notes.length, 1);
    assert.match(
      plan.notes[0]!,
      new RegExp(
        `^${plan.droppedTurns} earlier exchanges did not fit in the model's 2,048-token context window and were left out`,
      ),
    );
    // The recap names the dropped questions (newest dropped one included) in the system message.
    assert.match(plan.messages[0]!.content, /Earlier parts of this conversation were left out/);
    assert.match(plan.messages[0]!.content, new RegExp(`Question number ${plan.droppedTurns - 1}`));
    assert.ok((await used(plan)) + plan.maxTokens <= 2048, "prompt + answer must fit the window");
  });

  it("skips turns without an answer instead of counting them as dropped", async () => {
    const turns = [turn("a", "unanswered", null), turn("b", "errored", ""), turn("c", "ok", "fine")];
    const plan = await planPrompt(input({ history: turns }));
    assert.deepEqual(
      plan.messages.filter((m) => m.role === "user").map((m) => m.content),
      ["ok", "What now?"],
    );
    assert.equal(plan.droppedTurns, 0);
  });

  it("sends an older turn without its attachments before dropping it", async () => {
    const big = item({ label: "huge.ts", content: "x".repeat(8000) });
    const turns = [turn("t0", "about huge", "answer", [big])];
    const plan = await planPrompt(input({ history: turns, contextSize: 2048, maxTokens: 256 }));
    assert.equal(plan.compactedTurns, 1);
    assert.equal(plan.droppedTurns, 0);
    assert.match(plan.messages[1]!.content, /^\(Attached earlier, not repeated here: Selection from src\/a\.ts/);
    assert.ok(plan.notes.some((n) => /Attachments of 1 earlier question were left out/.test(n)));
  });

  it("shortens an attachment of the current question that does not fit, keeping its head and tail", async () => {
    const content = "HEAD" + "y".repeat(40_000) + "TAIL";
    const plan = await planPrompt(
      input({
        question: { text: "Explain", context: [item({ label: "big.log", content })] },
        contextSize: 2048,
        maxTokens: 256,
      }),
    );
    const user = plan.messages.at(-1)!.content;
    assert.match(user, /HEAD/);
    assert.match(user, /TAIL/);
    assert.match(user, /characters omitted/);
    assert.match(user, /Explain$/);
    assert.ok(plan.notes.some((n) => n.includes("“big.log” was shortened")));
    assert.ok((await used(plan)) + plan.maxTokens <= 2048);
  });

  it("leaves out attachments entirely when almost nothing of them would fit, and shortens a huge question", async () => {
    const plan = await planPrompt(
      input({
        question: { text: "Q".repeat(20_000), context: [item({ label: "a.ts", content: "z".repeat(20_000) })] },
        contextSize: 256,
        maxTokens: 64,
      }),
    );
    assert.ok(
      plan.notes.some((n) => n.includes("“a.ts” was left out")),
      plan.notes.join("|"),
    );
    assert.ok(plan.notes.some((n) => n.includes("Your question was shortened")));
    assert.ok((await used(plan)) + plan.maxTokens <= 256, `used ${await used(plan)} + ${plan.maxTokens}`);
  });

  it("never throws and always leaves room to answer, for any mix of sizes", async () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 60; round++) {
      const contextSize = [128, 512, 2048, 8192][round % 4]!;
      const turns = history(Math.floor(random() * 12), Math.floor(random() * 3000));
      const plan = await planPrompt(
        input({
          systemPrompt: "S".repeat(Math.floor(random() * 3000)),
          history: turns,
          question: {
            text: "q".repeat(1 + Math.floor(random() * 5000)),
            context: random() > 0.5 ? [item({ content: "c".repeat(Math.floor(random() * 20000)) })] : [],
          },
          contextSize,
          maxTokens: 16 + Math.floor(random() * 2000),
        }),
      );
      assert.ok(plan.maxTokens >= 1);
      assert.equal(plan.messages.at(-1)!.role, "user");
      assert.ok(
        (await used(plan)) + plan.maxTokens <= contextSize,
        `round ${round}: ${await used(plan)} + ${plan.maxTokens} > ${contextSize}`,
      );
    }
  });

  it("caps the answer at what the window leaves after the prompt", async () => {
    const plan = await planPrompt(input({ contextSize: 1024, maxTokens: 4000 }));
    assert.ok(plan.maxTokens < 1024);
    assert.ok(plan.maxTokens >= 500, String(plan.maxTokens));
  });
});
