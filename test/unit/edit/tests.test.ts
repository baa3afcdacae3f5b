import * as assert from "node:assert/strict";
import { EditTooLongError } from "../../../src/core/edit/prompt";
import { planTestsPrompt, testFileFor, testFileGlob, testsUserMessage } from "../../../src/core/edit/tests";

const input = {
  code: "export function add(a, b) {\n  return a + b;\n}",
  label: "function add",
  path: "src/math.js",
  testPath: "src/math.test.js",
  languageId: "javascript",
  example: { path: "test/util.spec.js", text: 'import { expect } from "chai";\ndescribe("util", () => {});' },
};
/** One token per 4 characters, like a small tokenizer. */
const count = async (text: string) => Math.ceil(text.length / 4);

describe("edit generate tests", () => {
  it("names the test file next to the source, in the language's or the project's convention", () => {
    assert.equal(testFileFor("src/math.js", null), "src/math.test.js");
    assert.equal(testFileFor("src/math.ts", "test/a.spec.ts"), "src/math.spec.ts");
    assert.equal(testFileFor("src/math.ts", "test/a.test.ts"), "src/math.test.ts");
    assert.equal(testFileFor("pkg/calc.py", null), "pkg/test_calc.py");
    assert.equal(testFileFor("calc.go", null), "calc_test.go");
    assert.equal(testFileFor("Makefile", null), "Makefile.test");
  });

  it("looks for the project's tests of the same language", () => {
    assert.equal(testFileGlob("src/math.ts"), "**/*.{test,spec}.ts");
    assert.equal(testFileGlob("a/b.py"), "**/test_*.py");
    assert.equal(testFileGlob("x.go"), "**/*_test.go");
    assert.equal(testFileGlob("Makefile"), null);
  });

  it("gives the code, the paths and the example's style in the prompt", () => {
    const text = testsUserMessage(input, true);
    assert.match(text, /^Source file: src\/math\.js \(javascript\)\. The tests go to src\/math\.test\.js/);
    assert.match(text, /test\/util\.spec\.js \(follow its style\):\n```javascript\nimport \{ expect \} from "chai";/);
    assert.ok(text.endsWith("Write unit tests for function add:\n```javascript\n" + input.code + "\n```"));
    assert.doesNotMatch(testsUserMessage(input, false), /follow its style/);
  });

  it("drops the style example before refusing, and refuses a symbol too long for the window", async () => {
    const big = { ...input, example: { path: "t.test.js", text: "x".repeat(8000) } };
    const plan = await planTestsPrompt(big, { contextSize: 2048, count });
    assert.equal(plan.withExample, false);
    assert.equal((await planTestsPrompt(input, { contextSize: 2048, count })).withExample, true);
    await assert.rejects(
      planTestsPrompt({ ...input, code: "y".repeat(20_000) }, { contextSize: 2048, count }),
      (e: unknown) => e instanceof EditTooLongError && /function add is too long/.test(e.message),
    );
  });
});
