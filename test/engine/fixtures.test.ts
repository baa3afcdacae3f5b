import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Llama, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import {
  BIGRAM_NEXT,
  EOS,
  FIM_MIDDLE,
  FIXTURE_NAMES,
  IM_END,
  QWEN2_IDS,
  QWEN25_CODER_0_5B,
  QWEN25_CODER_1_5B,
  bigramNext,
  bigramTokenize,
  bigramVocab,
  ensureFixture,
  expectedChatReply,
  expectedCompletion,
  expectedGreedy,
  expectedGreedyRun,
  expectedInfill,
  expectedQwenTinyGreedy,
  fixturePath,
  repoRoot,
} from "../fixtures/gguf/index";
import { findKv, kvValue, readGgufHeader, readTensorBytes } from "../fixtures/gguf/ggufReader";
import {
  GgmlType,
  GgufKv,
  GgufValueType,
  encodeHeader,
  encodeQ4_0,
  encodeQ8_0,
  f16BitsToF32,
  f32ToF16Bits,
  kv,
  randomQuantData,
  tensorByteSize,
  writeGguf,
} from "../fixtures/gguf/ggufWriter";
import { shapeTrueMetadata, shapeTrueTensors } from "../fixtures/gguf/shapeTrueModel";

type NodeLlamaCpp = typeof import("node-llama-cpp", { with: { "resolution-mode": "import" } });

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("") + "\n\t";

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function concat(chunks: Iterable<Uint8Array>): Buffer {
  return Buffer.concat([...chunks].map((c) => Buffer.from(c)));
}

describe("GGUF writer", () => {
  it("converts float32 to half with round-to-nearest-even, subnormals and overflow", () => {
    assert.equal(f32ToF16Bits(1), 0x3c00);
    assert.equal(f32ToF16Bits(-2), 0xc000);
    assert.equal(f32ToF16Bits(0.1), 0x2e66);
    assert.equal(f32ToF16Bits(65504), 0x7bff);
    assert.equal(f32ToF16Bits(65520), 0x7c00); // rounds up to infinity
    assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie goes to even
    assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie goes to even (up)
    assert.equal(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
    assert.equal(f32ToF16Bits(2 ** -26), 0x0000);
    assert.equal(f16BitsToF32(0x3555), 0.333251953125);
  });

  it("encodes a Q8_0 block like ggml (d = amax/127, round half away from zero)", () => {
    const x = Array.from({ length: 32 }, (_, j) => (j === 0 ? -63.5 : (j - 16) * 0.75)); // d = 0.5 exactly
    const block = encodeQ8_0(x);
    assert.equal(block.length, 34);
    assert.equal(hex(block.subarray(0, 2)), "0038"); // fp16 0.5
    const q = new Int8Array(block.buffer, 2, 32);
    assert.deepEqual([q[0], q[1], q[15], q[16], q[17], q[18], q[31]], [-127, -23, -2, 0, 2, 3, 23]);
    assert.equal(hex(encodeQ8_0([1, ...new Array<number>(31).fill(0)])), "08207f" + "00".repeat(31)); // d = fp16(1/127)
  });

  it("encodes a Q4_0 block like ggml (d = max/-8, nibbles j and j+16, clamped at 15)", () => {
    const block = encodeQ4_0(Array.from({ length: 32 }, (_, j) => j - 16));
    assert.equal(hex(block), "0040" + "809191a2a2b3b3c4c4d5d5e6e6f7f7f8");
    const oneHot = encodeQ4_0([0, 0, 1, ...new Array<number>(29).fill(0)]);
    assert.equal(hex(oneHot.subarray(0, 2)), "00b0"); // d = -1/8
    assert.equal(oneHot[2 + 2] & 0x0f, 0); // (0 - 8) * -1/8 = 1
    assert.equal(oneHot[2 + 3], 0x88); // zeros are 8
  });

  it("rejects rows that are not whole blocks and data of the wrong size", async () => {
    assert.throws(() => tensorByteSize(GgmlType.Q8_0, [48, 2]), /multiple of 32/);
    const dir = mkdtempSync(join(tmpdir(), "gguf-writer-"));
    try {
      const path = join(dir, "bad.gguf");
      await assert.rejects(
        writeGguf(path, {
          metadata: [],
          tensors: [{ name: "t", dims: [4], type: GgmlType.F32, data: new Uint8Array(12) }],
        }),
        /expected 16/,
      );
      assert.deepEqual(readdirSync(dir), [], "no partial file left behind");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("generates seeded random quant blocks: repeatable, odd quants, never int8 -128", () => {
    const a = concat(randomQuantData(GgmlType.Q8_0, 32 * 1000, 42, 1)());
    const b = concat(randomQuantData(GgmlType.Q8_0, 32 * 1000, 42, 1)());
    const c = concat(randomQuantData(GgmlType.Q8_0, 32 * 1000, 43, 1)());
    assert.equal(a.length, 34 * 1000);
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
    for (let blk = 0; blk < 1000; blk++) {
      assert.equal(a.readUInt16LE(blk * 34), f32ToF16Bits(1 / 127));
      for (let j = 2; j < 34; j++) assert.ok(a[blk * 34 + j] % 2 === 1 && a[blk * 34 + j] !== 0x80);
    }
    const q4 = concat(randomQuantData(GgmlType.Q4_0, 32 * 7, 1, 8)());
    assert.equal(q4.length, 18 * 7);
    assert.equal(q4.readUInt16LE(18 * 6), 0x3c00); // d = 8/8
    const nl = concat(randomQuantData(GgmlType.IQ4_NL, 32 * 3, 1, 1)());
    assert.equal(nl.length, 18 * 3);
    assert.equal(nl.readUInt16LE(18 * 2), f32ToF16Bits(1 / 127));
    for (let j = 2; j < 18; j++) assert.equal(nl[j] & 0x11, 0x11, "odd nibbles");
    const k = concat(randomQuantData(GgmlType.Q4_K, 256 * 3, 1, 1)());
    assert.equal(k.length, 144 * 3);
    assert.equal(k.readUInt16LE(144), f32ToF16Bits(1 / 240)); // d
    assert.equal(k.readUInt16LE(146), f32ToF16Bits(7.5 / 240)); // dmin
    assert.deepEqual([...k.subarray(148, 160)], [160, 160, 160, 160, 160, 160, 160, 160, 0, 0, 0, 0]);
  });

  it("round-trips every metadata type and tensor data through its reader and node-llama-cpp's", async () => {
    const metadata: GgufKv[] = [
      kv.str("general.architecture", "llama"),
      { key: "t.u8", type: GgufValueType.UINT8, value: 200 },
      { key: "t.i8", type: GgufValueType.INT8, value: -100 },
      { key: "t.u16", type: GgufValueType.UINT16, value: 60000 },
      { key: "t.i16", type: GgufValueType.INT16, value: -30000 },
      kv.u32("t.u32", 4_000_000_000),
      kv.i32("t.i32", -2_000_000_000),
      kv.f32("t.f32", 0.5),
      kv.bool("t.bool", true),
      kv.str("t.str", "héllo\n\u{1F600}"),
      kv.u64("t.u64", 2n ** 40n + 3n),
      { key: "t.i64", type: GgufValueType.INT64, value: -(2n ** 40n) },
      { key: "t.f64", type: GgufValueType.FLOAT64, value: Math.PI },
      kv.arr("t.strs", GgufValueType.STRING, ["a", "", "Ġb"]),
      kv.arr("t.i32s", GgufValueType.INT32, [1, -2, 3]),
      kv.arr("t.f32s", GgufValueType.FLOAT32, [0.25, -1]),
      kv.arr("t.empty", GgufValueType.STRING, []),
    ];
    const f32 = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer); // 20 bytes: the next tensor needs padding
    const q8 = encodeQ8_0(Array.from({ length: 64 }, (_, i) => Math.sin(i)));
    const dir = mkdtempSync(join(tmpdir(), "gguf-roundtrip-"));
    try {
      const path = join(dir, "rt.gguf");
      const size = await writeGguf(path, {
        metadata,
        tensors: [
          { name: "a", dims: [5], type: GgmlType.F32, data: f32 },
          { name: "b", dims: [32, 2], type: GgmlType.Q8_0, data: () => [q8.subarray(0, 34), q8.subarray(34)] },
        ],
      });
      assert.equal(statSync(path).size, size);
      const header = readGgufHeader(path);
      assert.equal(header.version, 3);
      assert.deepEqual(header.metadata, metadata);
      assert.equal(header.dataOffset % 32, 0);
      assert.deepEqual(
        header.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
        [
          ["a", [5], 0, 0],
          ["b", [32, 2], 8, 32],
        ],
      );
      assert.equal(hex(readTensorBytes(path, header, "a")), hex(f32));
      assert.equal(hex(readTensorBytes(path, header, "b")), hex(q8));

      const { readGgufFileInfo } = await import("node-llama-cpp");
      const info = await readGgufFileInfo(path, { readTensorInfo: true });
      const t = info.metadata as unknown as Record<string, Record<string, unknown>>;
      assert.equal(t.t.u32, 4_000_000_000);
      assert.equal(t.t.str, "héllo\n\u{1F600}");
      assert.deepEqual(t.t.strs, ["a", "", "Ġb"]);
      assert.equal(t.t.f64, Math.PI);
      assert.deepEqual(
        info.fullTensorInfo?.map((x) => [x.name, x.dimensions.map(Number)]),
        [
          ["a", [5]],
          ["b", [32, 2]],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bigram expectation helpers", () => {
  it("follow the documented next() table", () => {
    assert.equal(expectedGreedy("a"), "bcdefghijklmnopqrstuvwxyz");
    assert.deepEqual(expectedGreedyRun("x"), { text: "yz", tokens: ["y", "z"], stopReason: "eogToken" });
    assert.deepEqual(expectedGreedyRun("a", 3), { text: "bcd", tokens: ["b", "c", "d"], stopReason: "maxTokens" });
    assert.equal(expectedInfill().text, "OK");
    assert.equal(expectedChatReply().text, "HI!");
    assert.equal(bigramNext("!"), IM_END);
    assert.equal(bigramNext("Q"), EOS);
    assert.equal(expectedCompletion("foo(").text, ");");
    assert.equal(expectedCompletion("if (x) {").text, "\nHI!");
    assert.equal(expectedCompletion("return ").text, "xyz");
    assert.equal(expectedCompletion("n = 7", 5).text, "89012");
    assert.equal(expectedCompletion("héllo é").text, ""); // last byte is not ASCII
    assert.throws(() => expectedGreedy("0"), /never ends/);
    assert.equal(bigramTokenize("é\n").length, 3);
  });

  it("every next() target is in the vocabulary of both variants", () => {
    for (const fim of [true, false]) {
      const { idOf } = bigramVocab(fim);
      for (const [from, to] of BIGRAM_NEXT) if (idOf.has(from)) assert.ok(idOf.has(to), `${to} missing`);
    }
    assert.equal(bigramVocab(false).idOf.has(FIM_MIDDLE), false);
  });
});

describe("fixture cache", () => {
  it("builds into LOCAL_CODE_FIXTURE_DIR, reuses the file and removes other versions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fixture-cache-"));
    const saved = process.env.LOCAL_CODE_FIXTURE_DIR;
    process.env.LOCAL_CODE_FIXTURE_DIR = dir;
    try {
      writeFileSync(join(dir, "bigram-f32.v0.gguf"), "stale");
      const [p1, p2] = await Promise.all([ensureFixture("bigram-f32"), ensureFixture("bigram-f32")]);
      assert.equal(p1, join(dir, "bigram-f32.v1.gguf"));
      assert.equal(p1, p2);
      assert.equal(p1, fixturePath("bigram-f32"));
      const mtime = statSync(p1).mtimeMs;
      assert.equal(await ensureFixture("bigram-f32"), p1);
      assert.equal(statSync(p1).mtimeMs, mtime, "a cached fixture is not rewritten");
      assert.deepEqual(readdirSync(dir), ["bigram-f32.v1.gguf"]);
      await assert.rejects(ensureFixture("nope" as "bigram-f32"), /unknown fixture/);
    } finally {
      if (saved === undefined) delete process.env.LOCAL_CODE_FIXTURE_DIR;
      else process.env.LOCAL_CODE_FIXTURE_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a CLI that prints paths and refuses unknown names", async () => {
    const cli = join(repoRoot(), "out", "test", "fixtures", "gguf", "cli.js");
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [cli, ...args], (error, stdout) =>
          resolve({ code: error ? Number(error.code) : 0, stdout }),
        );
      });
    const ok = await run(["bigram-q8_0"]);
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, `${await ensureFixture("bigram-q8_0")}\n`);
    assert.equal((await run(["--list"])).stdout.trim().split("\n").length, FIXTURE_NAMES.length);
    assert.equal((await run(["no-such-model"])).code, 2);
  });
});

describe("fixtures on the real node-llama-cpp", function () {
  let lib: NodeLlamaCpp;
  let llama: Llama;

  before(async () => {
    lib = await import("node-llama-cpp");
    llama = await lib.getLlama({ gpu: false, maxThreads: 1, logLevel: lib.LlamaLogLevel.error });
  });

  async function withModel(path: string, use: (model: LlamaModel) => Promise<void>): Promise<void> {
    const model = await llama.loadModel({ modelPath: path });
    try {
      await use(model);
    } finally {
      await model.dispose();
    }
  }

  for (const type of ["f32", "f16", "q8_0", "q4_0"] as const) {
    it(`bigram-${type}: completion, infill and ChatML chat give the exact expected text`, async () => {
      await withModel(await ensureFixture(`bigram-${type}`), async (model) => {
        const context = await model.createContext({ contextSize: 512, sequences: 3 });
        const completion = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
        for (const [prompt, maxTokens] of [
          ["a", 64],
          ["foo(", 64],
          ["if (x) {", 64],
          ["n = 0", 12],
        ] as const) {
          const expected = expectedCompletion(prompt, maxTokens);
          const got = await completion.generateCompletionWithMeta(prompt, { maxTokens, temperature: 0 });
          assert.equal(got.response, expected.text, `completion of ${JSON.stringify(prompt)}`);
          assert.equal(got.metadata.stopReason, expected.stopReason);
        }
        const infill = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
        assert.equal(infill.infillSupported, true);
        const fim = await infill.generateInfillCompletionWithMeta("function f() {\n  return ", ";\n}\n", {
          maxTokens: 16,
        });
        assert.equal(fim.response, expectedInfill(16).text);
        assert.equal(fim.metadata.stopReason, "eogToken");

        const session = new lib.LlamaChatSession({ contextSequence: context.getSequence() });
        assert.equal(session.chatWrapper.wrapperName, "ChatML");
        assert.equal(await session.prompt("Say hi", { maxTokens: 16, temperature: 0 }), expectedChatReply(16).text);
      });
    });
  }

  it("bigram vocabulary: each printable ASCII character, tab and newline is one token, and text round-trips", async () => {
    await withModel(await ensureFixture("bigram-q8_0"), async (model) => {
      const tokens = model.tokenize(PRINTABLE);
      assert.deepEqual(
        tokens.map(Number),
        [...PRINTABLE].map((c) => c.charCodeAt(0)),
      );
      const code = 'fn main() {\r\n\tlet s = "héllo <|im_end|> 😀";\n}\n';
      assert.equal(model.detokenize(model.tokenize(code)), code);
      assert.equal(model.tokenize(code).length, Buffer.byteLength(code), "plain text never becomes special tokens");
      assert.equal(model.tokens.infill.middle, bigramVocab().idOf.get(FIM_MIDDLE));
    });
  });

  it("bigram-nofim reports no infill support", async () => {
    await withModel(await ensureFixture("bigram-nofim"), async (model) => {
      const context = await model.createContext({ contextSize: 256 });
      const completion = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
      assert.equal(completion.infillSupported, false);
      assert.equal(model.tokens.infill.prefix, null);
      assert.equal(model.tokens.infill.middle, null);
      assert.equal(await completion.generateCompletion("k", { maxTokens: 32 }), expectedCompletion("k").text);
    });
  });

  it("bigram-nochat has no chat template but still completes", async () => {
    const path = await ensureFixture("bigram-nochat");
    assert.equal(findKv(readGgufHeader(path), "tokenizer.chat_template"), undefined);
    assert.ok(findKv(readGgufHeader(await ensureFixture("bigram-q8_0")), "tokenizer.chat_template"));
    await withModel(path, async (model) => {
      const context = await model.createContext({ contextSize: 256, sequences: 2 });
      const completion = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
      assert.equal(await completion.generateCompletion("v", { maxTokens: 32 }), expectedCompletion("v").text);
      const session = new lib.LlamaChatSession({ contextSequence: context.getSequence() });
      assert.notEqual(session.chatWrapper.wrapperName, "ChatML", "without a template the wrapper is a guess");
    });
  });

  it("qwen2-vocab-tiny: real Qwen2.5 tokenizer with FIM tokens, deterministic infill, completion and chat", async () => {
    await withModel(await ensureFixture("qwen2-vocab-tiny"), async (model) => {
      assert.equal(model.tokens.infill.prefix, QWEN2_IDS.fimPrefix);
      assert.equal(model.tokens.infill.middle, QWEN2_IDS.fimMiddle);
      assert.equal(model.tokens.infill.suffix, QWEN2_IDS.fimSuffix);
      assert.equal(model.tokens.eos, QWEN2_IDS.endOfText);
      assert.equal(model.tokens.eot, QWEN2_IDS.imEnd);
      assert.deepEqual(model.tokenize("<|file_sep|>", true).map(Number), [QWEN2_IDS.fileSep]);
      assert.deepEqual(model.tokenize("def").map(Number), [750]); // the real Qwen2 id
      const code = "def add(a, b):\n\treturn a + b  # ünïcode\r\n";
      assert.equal(model.detokenize(model.tokenize(code)), code);
      assert.ok(model.tokenize(code).length < code.length / 2, "real BPE merges apply");

      const context = await model.createContext({ contextSize: 512, sequences: 2 });
      const completion = new lib.LlamaCompletion({ contextSequence: context.getSequence() });
      assert.equal(completion.infillSupported, true);
      const fim = await completion.generateInfillCompletionWithMeta("def f(x):\n    return ", "\n", { maxTokens: 16 });
      assert.equal(fim.response, expectedQwenTinyGreedy("<|fim_middle|>", 16).text);
      assert.equal(fim.response, "OK");
      assert.equal(fim.metadata.stopReason, "eogToken");
      const def = await completion.generateCompletionWithMeta("def", { maxTokens: 16 });
      assert.equal(def.response, expectedQwenTinyGreedy("def").text);
      assert.equal(def.response, " main():");
      const other = await completion.generateCompletionWithMeta("hello world", { maxTokens: 16 });
      assert.deepEqual([other.response, other.metadata.stopReason], ["", "eogToken"]);

      const session = new lib.LlamaChatSession({ contextSequence: context.getSequence() });
      assert.equal(await session.prompt("Say hi", { maxTokens: 16 }), expectedQwenTinyGreedy("\n").text);
    });
  });

  it("qwen2.5-coder-0.5b-shape-q8_0 has the real shape and vocabulary (header checks only)", async () => {
    const spec = QWEN25_CODER_0_5B;
    const path = await ensureFixture("qwen2.5-coder-0.5b-shape-q8_0");
    const info = await lib.readGgufFileInfo(path, { readTensorInfo: true });
    assert.equal(info.metadata.general.architecture, "qwen2");
    assert.deepEqual(info.architectureMetadata, {
      context_length: 32768,
      embedding_length: 896,
      block_count: 24,
      feed_forward_length: 4864,
      attention: { head_count: 14, head_count_kv: 2, layer_norm_rms_epsilon: Math.fround(1e-6) },
      rope: { freq_base: 1_000_000 },
    });
    const tokenizer = info.metadata.tokenizer.ggml;
    assert.equal(tokenizer.tokens.length, 151936);
    assert.equal(tokenizer.tokens[QWEN2_IDS.fimMiddle], "<|fim_middle|>");
    assert.equal(tokenizer.tokens[QWEN2_IDS.repoName], "<|repo_name|>");
    assert.equal((tokenizer as unknown as Record<string, unknown>).fim_pre_token_id, QWEN2_IDS.fimPrefix);
    assert.equal(info.fullTensorInfo?.length, 2 + 24 * 12);
    assert.ok(info.fullTensorInfo?.every((t) => t.ggmlType === (t.dimensions.length === 1 ? 0 : 8)));

    const insights = await lib.GgufInsights.from(info, llama);
    assert.equal(insights.totalParameters, qwen2Params(spec));
    // Q8_0 stores 34 bytes per 32 weights; the real Qwen2.5-Coder-0.5B Q8_0 file is 531 MB too.
    const header = readGgufHeader(path);
    const dataBytes = header.tensors.reduce(
      (sum, t) => Math.ceil((sum + tensorByteSize(t.type as GgmlType, t.dims)) / 32) * 32,
      0,
    );
    assert.equal(statSync(path).size, header.dataOffset + dataBytes);
    assert.equal(kvValue(header, "general.file_type"), 7);
  });

  it("the 1.5B shape's header (built in memory) has 28 blocks and 1.54B parameters", async () => {
    const spec = QWEN25_CODER_1_5B;
    const tokenizer = readGgufHeader(await ensureFixture("qwen2-vocab-tiny")).metadata.filter((e) =>
      e.key.startsWith("tokenizer."),
    );
    const dir = mkdtempSync(join(tmpdir(), "shape-header-"));
    try {
      const path = join(dir, "header-only.gguf");
      writeFileSync(
        path,
        encodeHeader({
          metadata: shapeTrueMetadata(spec, GgmlType.Q8_0, tokenizer),
          tensors: shapeTrueTensors(spec, GgmlType.Q8_0),
        }),
      );
      const info = await lib.readGgufFileInfo(path, { readTensorInfo: true });
      assert.equal(info.architectureMetadata.block_count, 28);
      assert.equal(info.architectureMetadata.embedding_length, 1536);
      assert.equal((await lib.GgufInsights.from(info, llama)).totalParameters, qwen2Params(spec));
      assert.equal(qwen2Params(spec), 1_543_714_304);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Parameter count of a tied-embedding qwen2 model, computed from the published shape. */
function qwen2Params(s: {
  blocks: number;
  embd: number;
  heads: number;
  kvHeads: number;
  ff: number;
  vocab: number;
}): number {
  const kvDim = (s.embd / s.heads) * s.kvHeads;
  const block = 2 * s.embd * s.embd + s.embd + 2 * (s.embd * kvDim + kvDim) + 2 * s.embd + 3 * s.embd * s.ff;
  return s.vocab * s.embd + s.blocks * block + s.embd;
}
