import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  checkGgufFile,
  GgufFileError,
  ladderForGgufFile,
  readGgufHeader,
  readGgufSummary,
} from "../../../src/client/ggufFile";
import { readGgufHeaderFrom } from "../../../src/core/gguf/ggufFileReader";
import { headerWithArrayOf, HOSTILE_HEADERS } from "../../support/hostileGguf";
import { checkGgufHeader, GgufFormatError, parseGgufHeader, type GgufHeader } from "../../../src/core/gguf/ggufHeader";
import { ggufSummary } from "../../../src/core/gguf/ggufSummary";
import { archFromGgufFields, ggufArchFieldsFromMetadata } from "../../../src/core/models/fitEstimate";
import {
  encodeHeader,
  GgmlType,
  GgufValueType,
  kv,
  layoutTensors,
  tensorByteSize,
  type GgufContent,
  type GgufTensor,
} from "../../fixtures/gguf/ggufWriter";
import { makeFakeGguf } from "../../support/ggufMirrorServer";

const tensor = (name: string, dims: number[], type: GgmlType): GgufTensor => ({
  name,
  dims,
  type,
  data: new Uint8Array(0),
});

/** A qwen2-shaped header (2 layers) with Q4_0 matrices, an F32 norm and a Q8_0 embedding, plus zeroed data. */
function qwenLike(extra: Partial<GgufContent> = {}): { content: GgufContent; file: Buffer } {
  const content: GgufContent = {
    metadata: [
      kv.str("general.architecture", "qwen2"),
      kv.str("general.name", "tiny qwen"),
      kv.u32("general.file_type", 2),
      kv.u32("qwen2.block_count", 2),
      kv.u32("qwen2.embedding_length", 64),
      kv.u32("qwen2.context_length", 4096),
      kv.u32("qwen2.attention.head_count", 4),
      kv.u32("qwen2.attention.head_count_kv", 2),
      kv.f32("qwen2.rope.freq_base", 1_000_000),
      kv.arr(
        "tokenizer.ggml.tokens",
        GgufValueType.STRING,
        Array.from({ length: 300 }, (_, i) => `t${i}`),
      ),
      kv.arr(
        "tokenizer.ggml.scores",
        GgufValueType.FLOAT32,
        Array.from({ length: 300 }, () => 0),
      ),
      kv.arr("qwen2.attention.per_layer", GgufValueType.INT32, [1, -2]),
      kv.u64("test.big", 2n ** 60n),
      kv.bool("test.flag", true),
    ],
    tensors: [
      tensor("token_embd.weight", [64, 300], GgmlType.Q8_0),
      tensor("blk.0.attn_q.weight", [64, 64], GgmlType.Q4_0),
      tensor("blk.0.attn_norm.weight", [64], GgmlType.F32),
      tensor("blk.1.ffn_up.weight", [256, 64], GgmlType.Q4_K),
    ],
    ...extra,
  };
  const header = encodeHeader(content);
  const offsets = layoutTensors(content.tensors, content.alignment);
  const last = content.tensors.length - 1;
  const dataBytes = offsets[last] + tensorByteSize(content.tensors[last].type, content.tensors[last].dims);
  return { content, file: Buffer.concat([header, Buffer.alloc(dataBytes)]) };
}

function parsed(buf: Uint8Array): GgufHeader {
  const h = parseGgufHeader(buf);
  assert.notEqual(h, "more");
  return h as GgufHeader;
}

describe("GGUF header parser (src/core/gguf)", () => {
  it("reads version, metadata, tensor infos and the data extent of a complete file", () => {
    const { content, file } = qwenLike();
    const h = parsed(file);
    assert.equal(h.version, 3);
    assert.equal(h.alignment, 32);
    assert.equal(h.dataOffset % 32, 0);
    assert.equal(h.minimumFileSize, file.length, "the last tensor ends where the file ends");
    assert.deepEqual(
      h.tensors.map((t) => [t.name, t.dims, t.ggmlType, t.byteSize]),
      content.tensors.map((t) => [t.name, t.dims, t.type, tensorByteSize(t.type, t.dims)]),
    );
    assert.deepEqual(
      h.tensors.map((t) => t.offset),
      layoutTensors(content.tensors),
    );
    assert.equal(h.metadata.get("general.architecture"), "qwen2");
    assert.equal(h.metadata.get("qwen2.block_count"), 2);
    assert.equal(h.metadata.get("test.big"), 2n ** 60n);
    assert.equal(h.metadata.get("test.flag"), true);
    assert.ok(Math.abs((h.metadata.get("qwen2.rope.freq_base") as number) - 1e6) < 1);
    // Tokenizer arrays are counted, per-layer arrays kept.
    assert.deepEqual(h.metadata.get("tokenizer.ggml.tokens"), { arrayOf: GgufValueType.STRING, count: 300 });
    assert.deepEqual(h.metadata.get("tokenizer.ggml.scores"), { arrayOf: GgufValueType.FLOAT32, count: 300 });
    assert.deepEqual(h.metadata.get("qwen2.attention.per_layer"), [1, -2]);
  });

  it("honours general.alignment", () => {
    const { file } = qwenLike({
      alignment: 64,
      metadata: [kv.str("general.architecture", "llama"), kv.u32("general.alignment", 64)],
    });
    const h = parsed(file);
    assert.equal(h.alignment, 64);
    assert.equal(h.dataOffset % 64, 0);
    assert.equal(h.minimumFileSize, file.length);
  });

  it("asks for more bytes anywhere inside the header, and parses once it has them all", () => {
    const { file } = qwenLike();
    const full = parsed(file);
    for (let cut = 0; cut < full.dataOffset - 31; cut += 7)
      assert.equal(parseGgufHeader(file.subarray(0, cut)), "more", `cut at ${cut}`);
    assert.deepEqual(parsed(file.subarray(0, full.dataOffset)).tensors, full.tensors);
  });

  it("refuses what is not a GGUF header, saying why", () => {
    const good = makeFakeGguf(16);
    const reason = (buf: Uint8Array) => {
      assert.throws(() => parseGgufHeader(buf), GgufFormatError);
      return (checkGgufHeader(buf) as { ok: false; reason: string }).reason;
    };
    assert.equal(reason(Buffer.from("<!DOCTYPE html>")), 'not a GGUF file (it starts with "<!DO", not "GGUF")');
    const v1 = Buffer.from(good);
    v1.writeUInt32LE(1, 4);
    assert.equal(reason(v1), "unsupported GGUF version 1");
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(10n ** 7n, 8);
    assert.match(reason(huge), /implausible header \(10000000 tensors/);
    const badType = Buffer.from(good);
    badType.writeUInt32LE(99, 4 + 4 + 8 + 8 + 8 + "general.architecture".length);
    assert.equal(reason(badType), "unknown metadata value type 99");
  });

  it("checkGgufHeader: a complete file passes, a truncated one names both sizes", () => {
    const good = makeFakeGguf(16);
    assert.deepEqual(checkGgufHeader(good), {
      ok: true,
      version: 3,
      tensorCount: 1,
      kvCount: 2,
      minimumFileSize: good.length,
    });
    assert.deepEqual(checkGgufHeader(good.subarray(0, good.length - 10)), {
      ok: false,
      reason: `truncated: ${good.length - 10} bytes, but the header describes ${good.length}`,
    });
    assert.deepEqual(checkGgufHeader(good.subarray(0, 40)), {
      ok: false,
      reason: "the file ends inside its GGUF header (truncated)",
    });
    // Only the header in memory, the file's length given: as the downloader checks a file on disk.
    assert.equal(checkGgufHeader(good.subarray(0, 200), good.length).ok, true);
  });
});

describe("GGUF summary for model choice", () => {
  it("gives the architecture fields, quant name and the bytes the CPU repacks", () => {
    const { file } = qwenLike();
    const h = parsed(file);
    const s = ggufSummary(h, "/m/tiny.gguf", file.length);
    assert.equal(s.architecture, "qwen2");
    assert.equal(s.name, "tiny qwen");
    assert.equal(s.fileType, "Q4_0");
    assert.equal(s.tokenCount, 300);
    assert.deepEqual(
      s.fields,
      ggufArchFieldsFromMetadata(
        "qwen2",
        {
          block_count: 2,
          embedding_length: 64,
          context_length: 4096,
          attention: { head_count: 4, head_count_kv: 2, per_layer: [1, -2] },
          rope: { freq_base: 1e6 },
        },
        300,
      ),
    );
    assert.equal(archFromGgufFields(s.fields).kvGroups[0].layers, 2);
    // Q4_0 and Q4_K tensors, not the Q8_0 embedding or the F32 norm.
    assert.equal(s.cpuRepackBytes, tensorByteSize(GgmlType.Q4_0, [64, 64]) + tensorByteSize(GgmlType.Q4_K, [256, 64]));
  });

  it("names the file when a required key is missing", () => {
    const { file } = qwenLike({ metadata: [kv.str("general.name", "no arch")] });
    assert.throws(
      () => ggufSummary(parsed(file), "/m/x.gguf", file.length),
      /\/m\/x\.gguf has no general\.architecture/,
    );
    const noBlocks = qwenLike({
      metadata: [kv.str("general.architecture", "qwen2"), kv.u32("qwen2.embedding_length", 8)],
    }).file;
    assert.throws(
      () => ggufSummary(parsed(noBlocks), "/m/y.gguf", noBlocks.length),
      /^Error: \/m\/y\.gguf: GGUF metadata for qwen2 lacks qwen2\.block_count/,
    );
  });
});

describe("GGUF files on disk (src/client/ggufFile)", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "lca-gguf-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("summarises a file and builds its one-quant ladder with the exact repack bytes", async () => {
    const { file } = qwenLike();
    const p = path.join(dir, "tiny.gguf");
    writeFileSync(p, file);
    const s = await readGgufSummary(p);
    assert.equal(s.sizeBytes, file.length);
    assert.equal(s.path, p);
    const { ladder } = await ladderForGgufFile(p);
    assert.deepEqual(ladder.quants, [
      { quant: "Q4_0", file: p, repo: null, sizeBytes: file.length, ppl: null, cpuRepackBytes: s.cpuRepackBytes },
    ]);
  });

  it("checks a downloaded file: whole, truncated, not GGUF", async () => {
    const { file } = qwenLike();
    const write = (name: string, bytes: Uint8Array) => {
      const p = path.join(dir, name);
      writeFileSync(p, bytes);
      return p;
    };
    assert.equal((await checkGgufFile(write("ok.gguf", file))).ok, true);
    assert.deepEqual(await checkGgufFile(write("cut.gguf", file.subarray(0, file.length - 1))), {
      ok: false,
      reason: `truncated: ${file.length - 1} bytes, but the header describes ${file.length}`,
    });
    assert.deepEqual(await checkGgufFile(write("head.gguf", file.subarray(0, 100))), {
      ok: false,
      reason: "the file ends inside its GGUF header (truncated)",
    });
    assert.match(
      ((await checkGgufFile(write("page.gguf", Buffer.from("<html>")))) as { reason: string }).reason,
      /^not a GGUF file/,
    );
  });

  it("errors name the file and what is wrong", async () => {
    await assert.rejects(readGgufSummary(path.join(dir, "none.gguf")), /^Error: Model file not found: .*none\.gguf$/);
    await assert.rejects(readGgufSummary(dir), /Model path is a directory, not a GGUF file/);
    const p = path.join(dir, "page.gguf");
    writeFileSync(p, "<html>not a model</html>");
    await assert.rejects(
      readGgufSummary(p),
      /^Error: Not a GGUF model file: .*page\.gguf \(it starts with "<htm", not "GGUF"\)/,
    );
  });
});

describe("hostile GGUF files (issue #16): a coded error naming the file, reading only what the cap allows", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "lca-hostile-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function refusal(file: string, options: { maxHeaderBytes?: number } = {}): Promise<GgufFileError> {
    const error = await readGgufHeader(file, options).then(
      () => assert.fail(`${file} was accepted`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof GgufFileError, String(error));
    assert.ok(error.message.includes(file), `the message does not name the file: ${error.message}`);
    assert.equal(error.filePath, file);
    return error;
  }

  for (const [name, bytes] of Object.entries(HOSTILE_HEADERS)) {
    it(`refuses ${name}`, async () => {
      const file = path.join(dir, "hostile.gguf");
      writeFileSync(file, bytes);
      const error = await refusal(file);
      assert.ok(["corrupt", "truncated", "headerTooLarge"].includes(error.code), error.code);
    });
  }

  it("a magic-only file is a truncated header, not a crash", async () => {
    const file = path.join(dir, "magic.gguf");
    writeFileSync(file, "GGUF");
    const error = await refusal(file);
    assert.equal(error.code, "truncated");
    assert.match(error.message, /^The GGUF file is truncated: .*magic\.gguf ends inside its header \(4 bytes\)/);
  });

  it("a FIFO is refused at once (no writer needed), and so is a device", async () => {
    const fifo = path.join(dir, "model.gguf");
    execFileSync("mkfifo", [fifo]);
    const error = await refusal(fifo);
    assert.equal(error.code, "notRegularFile");
    assert.match(error.message, /not a regular file \(a FIFO\)/);
    assert.equal((await refusal("/dev/zero")).code, "notRegularFile");
    // The summary (select, model choice) goes through the same reader.
    await assert.rejects(readGgufSummary(fifo), /not a regular file \(a FIFO\)/);
  });

  it("a header larger than the cap is refused from its declared size, without reading it", async () => {
    // A 4 MiB array in a sparse 8 MiB file, with a 1 MiB cap.
    const file = path.join(dir, "blob.gguf");
    writeFileSync(file, headerWithArrayOf(4 << 20));
    truncateSync(file, 8 << 20);
    const error = await refusal(file, { maxHeaderBytes: 1 << 20 });
    assert.equal(error.code, "headerTooLarge");
    assert.match(error.message, /takes at least \d+ bytes, more than the 1048576/);
    // The same through a source that counts what is read: never more than the cap.
    let read = 0;
    const bytes = Buffer.alloc(8 << 20);
    headerWithArrayOf(4 << 20).copy(bytes);
    const source = {
      size: bytes.length,
      read: async (at: number, n: number) => ((read += Math.min(n, bytes.length - at)), bytes.subarray(at, at + n)),
    };
    await assert.rejects(
      readGgufHeaderFrom(source, "/m/blob.gguf", { maxHeaderBytes: 1 << 20 }),
      (e: unknown) => e instanceof GgufFileError && e.code === "headerTooLarge",
    );
    assert.ok(read <= 1 << 20, `read ${read} bytes`);
    // Under the default cap (64 MiB) a real-sized header still reads.
    const { file: good } = qwenLike();
    assert.equal(
      (await readGgufHeaderFrom({ size: good.length, read: async (at, n) => good.subarray(at, at + n) }, "/m/ok.gguf"))
        .tensors.length,
      4,
    );
  });
});
