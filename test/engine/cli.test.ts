import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { FINDMIN_BODY, ensureFixture, expectedChatReply, expectedCompletion, expectedInfill } from "../fixtures/gguf/index";
import { cliPath } from "./workerHarness";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args, "--threads", "1", ...(args.includes("--gpu") ? [] : ["--gpu", "cpu"])], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function json(run: CliRun): Record<string, unknown> {
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `expected exactly one JSON line, got:\n${run.stdout}`);
  return JSON.parse(lines[0]);
}

describe("CLI", () => {
  for (const type of ["f32", "f16", "q8_0", "q4_0"])
    describe(`on bigram-${type}`, () => {
      let model: string;
      before(async () => (model = await ensureFixture(`bigram-${type}` as "bigram-f32")));

      it("complete prints the exact completion as one JSON object", async () => {
        const out = json(await cli("complete", "--model", model, "--prompt", "hello a", "--max-tokens", "40", "--json"));
        const expected = expectedCompletion("hello a", 40);
        assert.equal(out.text, expected.text);
        assert.equal(out.stopReason, expected.stopReason);
        assert.equal(out.generatedTokens, expected.tokens.length);
        assert.ok(typeof out.promptTokens === "number" && out.promptTokens >= 7);
        assert.ok(typeof out.ms === "number");
      });

      it("infill runs the editor's pipeline: the cursor line ends the prompt (psmTail)", async () => {
        // The prompt ends with the cursor line "const x = ", so the model continues after " ".
        const out = json(await cli("infill", "--model", model, "--prefix", "let a = 1;\nconst x = ", "--suffix", ";\n", "--language", "javascript", "--json"));
        assert.equal(out.text, expectedCompletion("const x = ").text);
        assert.equal(out.reason, "ok");
      });

      it("infill --json says how much right of the cursor the suggestion replaces (replaceRight)", async () => {
        // "foo(" ends the prompt, so the model answers ");": it already holds the auto-closed ")".
        const out = json(await cli("infill", "--model", model, "--prefix", "foo(", "--suffix", ")\n", "--language", "javascript", "--json"));
        assert.equal(out.rawText, expectedCompletion("foo(").text);
        assert.deepEqual([out.text, out.replaceRight], [");", 1]);
        const plain = json(await cli("infill", "--model", model, "--prefix", "const x = ", "--suffix", ";\n", "--json"));
        assert.equal(plain.replaceRight, 0);
      });

      it("infill with the classic PSM layout ends at the middle token", async () => {
        const out = json(await cli("infill", "--model", model, "--prefix", "const x = ", "--suffix", ";\n", "--layout", "psm", "--json"));
        assert.equal(out.rawText, expectedInfill(64).text);
        assert.equal(out.text, expectedInfill(64).text);
      });

      it("chat prints the exact reply", async () => {
        const out = json(await cli("chat", "--model", model, "--message", "Hi there", "--json"));
        assert.equal(out.text, expectedChatReply(64).text);
      });
    });

  it("infill in `{|}` (auto-closed brace) shows the multi-line body before the `}`", async () => {
    // The fixture's answer after "{" is FINDMIN_BODY: the raw completion the issue replayed.
    const model = await ensureFixture("bigram-infill-findmin");
    const out = json(await cli("infill", "--model", model, "--prefix", "function findMin(arr) {", "--suffix", "}\n", "--language", "javascript", "--json"));
    assert.equal(out.rawText, FINDMIN_BODY.pieces.join(""));
    assert.deepEqual([out.text, out.replaceRight, out.reason], [FINDMIN_BODY.pieces.join(""), 0, "ok"]);
  });

  it("--max-tokens caps generation", async () => {
    const model = await ensureFixture("bigram-q8_0");
    const out = json(await cli("complete", "--model", model, "--prompt", "3", "--max-tokens", "4", "--json"));
    assert.equal(out.text, expectedCompletion("3", 4).text);
    assert.equal(out.stopReason, "maxTokens");
  });

  it("a missing model exits non-zero with a message naming the file", async () => {
    const missing = path.join(__dirname, "nope.gguf");
    const run = await cli("complete", "--model", missing, "--prompt", "a", "--json");
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /\[modelNotFound\].*nope\.gguf/);
  });

  it("usage errors exit 2 and say what is wrong", async () => {
    const unknown = await cli("complete", "--modle", "x");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option --modle/);
    const missing = await cli("infill", "--model", "/x.gguf", "--prefix", "a", "--json");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--suffix is required/);
  });

  it("hardware --json describes this CPU-only machine", async () => {
    const out = json(await cli("hardware", "--json", "--gpu", "cpu"));
    assert.equal(out.gpu, "none");
    assert.ok((out.ram as { total: number }).total > 0);
    assert.ok((out.cpu as { physicalCores: number }).physicalCores >= 1);
  });
});
