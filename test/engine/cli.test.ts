import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as path from "node:path";
import {
  FINDMIN_BODY,
  ensureFixture,
  expectedChatReply,
  expectedCompletion,
  expectedInfill,
} from "../fixtures/gguf/index";
import { cliPath } from "./workerHarness";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args, "--threads", "1", ...(args.includes("--gpu") ? [] : ["--gpu", "cpu"])],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
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
        const out = json(
          await cli("complete", "--model", model, "--prompt", "hello a", "--max-tokens", "40", "--json"),
        );
        const expected = expectedCompletion("hello a", 40);
        assert.equal(out.text, expected.text);
        assert.equal(out.stopReason, expected.stopReason);
        assert.equal(out.generatedTokens, expected.tokens.length);
        assert.ok(typeof out.promptTokens === "number" && out.promptTokens >= 7);
        assert.ok(typeof out.ms === "number");
      });

      it("infill runs the editor's pipeline: the cursor line ends the prompt (psmTail)", async () => {
        // The prompt ends with the cursor line "const x = ", so the model continues after " ".
        const out = json(
          await cli(
            "infill",
            "--model",
            model,
            "--prefix",
            "let a = 1;\nconst x = ",
            "--suffix",
            ";\n",
            "--language",
            "javascript",
            "--json",
          ),
        );
        assert.equal(out.text, expectedCompletion("const x = ").text);
        assert.equal(out.reason, "ok");
      });

      it("infill --json says how much right of the cursor the suggestion replaces (replaceRight)", async () => {
        // "foo(" ends the prompt, so the model answers ");": it already holds the auto-closed ")".
        const out = json(
          await cli(
            "infill",
            "--model",
            model,
            "--prefix",
            "foo(",
            "--suffix",
            ")\n",
            "--language",
            "javascript",
            "--json",
          ),
        );
        assert.equal(out.rawText, expectedCompletion("foo(").text);
        assert.deepEqual([out.text, out.replaceRight], [");", 1]);
        const plain = json(
          await cli("infill", "--model", model, "--prefix", "const x = ", "--suffix", ";\n", "--json"),
        );
        assert.equal(plain.replaceRight, 0);
      });

      it("infill with the classic PSM layout ends at the middle token", async () => {
        const out = json(
          await cli(
            "infill",
            "--model",
            model,
            "--prefix",
            "const x = ",
            "--suffix",
            ";\n",
            "--layout",
            "psm",
            "--json",
          ),
        );
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
    const out = json(
      await cli(
        "infill",
        "--model",
        model,
        "--prefix",
        "function findMin(arr) {",
        "--suffix",
        "}\n",
        "--language",
        "javascript",
        "--json",
      ),
    );
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

  // Issue #16: every option checked before any model loads, inputs too long for the context
  // refused (never an empty answer or a silent cut), --prompt-file/stdin, usage on stderr.
  describe("hostile input", () => {
    let model: string;
    before(async () => (model = await ensureFixture("bigram-q8_0")));

    /** The CLI with exactly these arguments (and `input` on stdin). */
    function raw(args: string[], input?: string): Promise<CliRun> {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [cliPath, ...args], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(input ?? "");
      });
    }

    it("out-of-range and malformed options are refused before any model loads, with a readable message", async () => {
      // A model path that does not exist: a check that ran after loading would say "not found" instead.
      const missing = path.join(__dirname, "never-loaded.gguf");
      const cases: [string[], RegExp][] = [
        [["--max-tokens", "40000"], /--max-tokens must be between 1 and 32768, got 40000/],
        [["--temperature", "-1"], /--temperature must be between 0 and 2, got -1/],
        [["--temperature", "0x10"], /--temperature must be a decimal number, got "0x10"/],
        [["--threads", "9999"], /--threads must be between 0 and 512, got 9999/],
        [["--context", "1e9"], /--context must be a whole number, got "1e9"/],
        [["--context", "1000000000"], /--context must be between 64 and 131072/],
      ];
      for (const [extra, message] of cases) {
        const run = await raw(["complete", "--model", missing, "--prompt", "a", "--gpu", "cpu", ...extra]);
        assert.equal(run.code, 2, `${extra.join(" ")}: ${run.stderr}`);
        assert.match(run.stderr, message);
        assert.doesNotMatch(run.stderr, /never-loaded|"code":|too_big|invalid_type/, "no load and no raw zod JSON");
      }
      const infill = await raw([
        "infill",
        "--model",
        missing,
        "--prefix",
        "a",
        "--suffix",
        "b",
        "--max-tokens",
        "2000",
      ]);
      assert.equal(infill.code, 2);
      assert.match(infill.stderr, /--max-tokens must be between 1 and 1024/);
    });

    it("a 120 KB chat message or prompt that does not fit the context is a clear error, not an empty answer or a silent cut", async () => {
      const long = "abc ".repeat(30_000);
      const chat = await cli(
        "chat",
        "--model",
        model,
        "--message",
        long,
        "--context",
        "512",
        "--max-tokens",
        "16",
        "--json",
      );
      assert.equal(chat.code, 1, chat.stdout);
      assert.equal(chat.stdout, "");
      assert.match(
        chat.stderr,
        /\[inputTooLong\]: The message is \d+ tokens, but the context \(--context 512\) leaves room for 496/,
      );
      const complete = await cli("complete", "--model", model, "--prompt", long, "--context", "512", "--json");
      assert.equal(complete.code, 1);
      assert.match(complete.stderr, /\[inputTooLong\]: The prompt is \d+ tokens/);
    });

    it("--prompt-file reads a file or stdin (-)", async () => {
      const fromStdin = json(
        await raw(
          [
            "complete",
            "--model",
            model,
            "--prompt-file",
            "-",
            "--max-tokens",
            "8",
            "--threads",
            "1",
            "--gpu",
            "cpu",
            "--json",
          ],
          "a",
        ),
      );
      assert.equal(fromStdin.text, expectedCompletion("a", 8).text);
      const both = await raw(["complete", "--model", model, "--prompt", "a", "--prompt-file", "-"]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /Give --prompt or --prompt-file, not both/);
    });

    it("a bare call prints the usage on stderr and exits 2; --help on stdout with 0", async () => {
      const bare = await raw([]);
      assert.equal(bare.code, 2);
      assert.equal(bare.stdout, "");
      assert.match(bare.stderr, /^Usage: local-code/);
      const help = await raw(["--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: local-code/);
    });

    it("--gpu cuda falling back to the CPU says so without --verbose", async () => {
      const run = await cli("hardware", "--gpu", "cuda", "--json");
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout) as { gpu: string; fallbackReason: string | null };
      if (out.gpu === "cuda") return assert.equal(out.fallbackReason, null); // a machine with CUDA: nothing to fall back from
      assert.match(run.stderr, /\[warn\] The cuda backend could not be loaded .*running on the CPU/);
    });
  });
});
