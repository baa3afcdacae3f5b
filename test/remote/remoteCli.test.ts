import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureFixture, expectedChatReply, expectedCompletion, expectedInfill } from "../fixtures/gguf/index";
import { cliPath, freePort, LlamaServer } from "./llamaServer";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { timeout: 120_000, env: { ...process.env, LCA_REMOTE_API_KEY: "", ...env } },
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

/** The same assertions as test/engine/cli.test.ts, with --backend remote against a real llama-server. */
describe("CLI --backend remote (real llama-server, bigram-q8_0)", function () {
  let server: LlamaServer;
  let remote: string[];
  before(async () => {
    server = await LlamaServer.start({ model: await ensureFixture("bigram-q8_0"), alias: "bigram", contextSize: 1024 });
    remote = ["--backend", "remote", "--remote-url", server.url];
  });
  after(() => server?.stop());

  it("complete prints the exact completion as one JSON object", async () => {
    const out = json(
      await cli([
        "complete",
        ...remote,
        "--remote-model",
        "bigram",
        "--prompt",
        "hello a",
        "--max-tokens",
        "40",
        "--json",
      ]),
    );
    const expected = expectedCompletion("hello a", 40);
    assert.equal(out.text, expected.text);
    assert.equal(out.stopReason, expected.stopReason);
    assert.equal(out.generatedTokens, expected.tokens.length);
    assert.equal(out.promptTokens, 7);
    assert.equal(typeof out.ms, "number");
  });

  it("infill runs the editor's pipeline: the cursor line ends the prompt (psmTail), as locally", async () => {
    const out = json(
      await cli([
        "infill",
        ...remote,
        "--prefix",
        "let a = 1;\nconst x = ",
        "--suffix",
        ";\n",
        "--language",
        "javascript",
        "--json",
      ]),
    );
    assert.equal(out.text, expectedCompletion("const x = ").text);
    assert.equal(out.reason, "ok");
  });

  it("infill with the classic PSM layout ends at the middle token", async () => {
    const out = json(
      await cli(["infill", ...remote, "--prefix", "const x = ", "--suffix", ";\n", "--layout", "psm", "--json"]),
    );
    assert.equal(out.rawText, expectedInfill(64).text);
    assert.equal(out.text, expectedInfill(64).text);
  });

  it("infill through llama-server's /infill", async () => {
    const out = json(
      await cli([
        "infill",
        ...remote,
        "--remote-route",
        "infill",
        "--prefix",
        "const x = ",
        "--suffix",
        ";\n",
        "--layout",
        "psm",
        "--json",
      ]),
    );
    assert.equal(out.text, expectedInfill(64).text);
  });

  it("chat prints the exact reply", async () => {
    const out = json(await cli(["chat", ...remote, "--message", "Hi there", "--json"]));
    assert.equal(out.text, expectedChatReply(64).text);
  });

  it("chat without --json streams the reply to stdout", async () => {
    const run = await cli(["chat", ...remote, "--message", "Hi there"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${expectedChatReply(64).text}\n`);
  });

  it("summarize a file through the server: the exact reply", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lc-remote-sum-"));
    const file = path.join(dir, "math.ts");
    fs.writeFileSync(file, "export function add(a: number, b: number): number {\n  return a + b;\n}\n");
    try {
      const out = json(await cli(["summarize", ...remote, "--file", file, "--json"]));
      assert.equal(out.text, expectedChatReply().text);
      assert.equal(out.contextSize, 1024, "the server's context, not the --context default");
      assert.equal(out.mapCalls, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a model the server does not serve: exit 1, naming what it serves", async () => {
    const run = await cli(["complete", ...remote, "--remote-model", "qwen2.5-coder-7b", "--prompt", "a", "--json"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /\[remoteModelNotFound\]: The model "qwen2.5-coder-7b" is not on http:\/\/127\.0\.0\.1:\d+; it serves: bigram/,
    );
  });

  it("nothing listening: exit 1 with the connection error", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(["complete", "--backend", "remote", "--remote-url", url, "--prompt", "a", "--json"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[remoteUnreachable\]: Cannot connect to http:\/\/127\.0\.0\.1:\d+/);
  });

  it("usage errors: remote flags without --backend remote, --model with it, a bad URL", async () => {
    const noBackend = await cli(["complete", "--remote-url", server.url, "--prompt", "a"]);
    assert.equal(noBackend.code, 2);
    assert.match(noBackend.stderr, /--remote-url needs --backend remote/);
    const withModel = await cli(["complete", ...remote, "--model", "/x.gguf", "--prompt", "a"]);
    assert.equal(withModel.code, 2);
    assert.match(withModel.stderr, /--remote-model/);
    const badUrl = await cli(["complete", "--backend", "remote", "--remote-url", "localhost:8080", "--prompt", "a"]);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--remote-url: .*must start with http/);
    const key = await cli(["complete", ...remote, "--api-key", "x", "--prompt", "a"]);
    assert.equal(key.code, 2, "the key is never a flag");
    assert.match(key.stderr, /Unknown option --api-key/);
  });
});

describe("CLI --backend remote with an API key (real llama-server)", function () {
  let server: LlamaServer;
  before(
    async () => (server = await LlamaServer.start({ model: await ensureFixture("bigram-q8_0"), apiKey: "cli-key-42" })),
  );
  after(() => server?.stop());

  it("reads the key from LCA_REMOTE_API_KEY; a wrong one exits 1 with the 401 message", async () => {
    const args = ["complete", "--backend", "remote", "--remote-url", server.url, "--prompt", "a", "--json"];
    const ok = json(await cli(args, { LCA_REMOTE_API_KEY: "cli-key-42" }));
    assert.equal(ok.text, expectedCompletion("a").text);
    const wrong = await cli(args, { LCA_REMOTE_API_KEY: "nope" });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /\[remoteUnauthorized\]: .*refused the API key \(HTTP 401\)/);
    assert.ok(!wrong.stderr.includes("nope") && !wrong.stderr.includes("cli-key-42"));
  });
});
