import * as assert from "node:assert/strict";
import {
  findModel,
  ladderFromCatalog,
  loadCatalog,
  modelsForRole,
  ModelOverrideError,
  parseModelOverride,
  quantSizeBytes,
  resolveCatalogOverride,
} from "../../../src/core/models/catalog";
import { CatalogSchema } from "../../../src/core/models/catalogSchema";
import { nominalBits } from "../../../src/core/models/quantTypes";

const MiB = 1024 * 1024;

function mutableCopy(): { models: Array<Record<string, unknown> & { quants: Array<Record<string, unknown>> }> } {
  return structuredClone(loadCatalog()) as never;
}

describe("model catalog", () => {
  const catalog = loadCatalog();

  it("validates and holds the models the issue names", () => {
    const completion = [
      "qwen2.5-coder-0.5b",
      "qwen2.5-coder-1.5b",
      "qwen2.5-coder-3b",
      "qwen2.5-coder-7b",
      "codegemma-2b",
    ];
    const chat = [
      "qwen2.5-coder-0.5b-instruct",
      "qwen2.5-coder-1.5b-instruct",
      "qwen2.5-coder-3b-instruct",
      "qwen2.5-coder-7b-instruct",
      "gemma-2-2b-it",
      "gemma-2b-it",
      "llama-3.1-8b-instruct",
      "gemma-4-e4b-it",
    ];
    for (const id of completion) assert.ok(findModel(id)?.roles.includes("completion"), `${id} is a completion model`);
    for (const id of chat) assert.ok(findModel(id)?.roles.includes("chat"), `${id} is a chat model`);
  });

  it("keeps sources on every entry and FIM tokens on every completion model", () => {
    for (const m of catalog.models) {
      assert.ok(m.sources.length > 0, m.id);
      assert.ok(
        m.sources.every((s) => s.length > 10),
        m.id,
      );
    }
    for (const m of modelsForRole("completion")) {
      assert.ok(m.fim, m.id);
      assert.equal(m.fim.order, "PSM", m.id);
    }
    assert.equal(findModel("qwen2.5-coder-1.5b")?.fim?.prefix, "<|fim_prefix|>");
    assert.equal(findModel("codegemma-2b")?.fim?.fileSeparator, "<|file_separator|>");
  });

  it("has gemma-2-2b-it's full quant ladder IQ1_S..F16, each with its measured perplexity", () => {
    const m = findModel("gemma-2-2b-it")!;
    assert.equal(m.quants.length, 28);
    assert.equal(m.quants[0].quant, "IQ1_S");
    assert.equal(m.quants.at(-1)?.quant, "F16");
    assert.ok(m.quants.every((q) => q.ppl !== null && q.file !== null));
    assert.equal(m.quants.find((q) => q.quant === "IQ1_S")?.ppl, 42.0753);
    assert.equal(m.quants.find((q) => q.quant === "F16")?.ppl, 12.8792);
    const q4km = m.quants.find((q) => q.quant === "Q4_K_M")!;
    assert.equal(q4km.sizeBytes, 1708582720);
    assert.equal(q4km.sizeKind, "exact");
  });

  it("leaves unknown figures null instead of inventing them", () => {
    assert.ok(
      findModel("llama-3.1-8b-instruct")!.quants.every((q) => q.ppl === null),
      "only base-model PPLs exist: pplRef, not ppl",
    );
    assert.ok(findModel("llama-3.1-8b-instruct")!.quants.some((q) => q.pplRef !== null));
    assert.ok(
      catalog.models.every((m) => m.quants.every((q) => q.sha256 === null)),
      "no SHA-256 was researched",
    );
    const gemma4 = findModel("gemma-4-e4b-it")!.quants[0];
    assert.equal(gemma4.sizeKind, "unverified");
    assert.equal(gemma4.fileVerified, false);
    assert.equal(findModel("qwen3-coder-30b-a3b-instruct")!.license.id, null);
  });

  it("says which licences need acceptance or a token", () => {
    for (const id of ["gemma-2-2b-it", "gemma-2b-it", "codegemma-2b", "llama-3.1-8b-instruct"]) {
      assert.equal(findModel(id)!.license.requiresAcceptance, true, id);
      assert.match(findModel(id)!.license.note ?? "", /token/, id);
    }
    assert.equal(findModel("qwen2.5-coder-1.5b")!.license.requiresAcceptance, false);
    assert.equal(findModel("qwen2.5-coder-3b")!.license.id, "qwen-research");
  });

  it("keeps architecture numbers for KV sizing, with sliding-window layers where the model has them", () => {
    const g2 = findModel("gemma-2-2b-it")!.arch;
    assert.deepEqual([g2.fullLayers, g2.slidingLayers, g2.slidingWindow], [13, 13, 4096]);
    const g4 = findModel("gemma-4-e4b-it")!.arch;
    assert.deepEqual([g4.fullLayers, g4.slidingLayers, g4.fullHeadDim, g4.blockCount], [4, 20, 512, 42]);
    const q = findModel("qwen2.5-coder-7b")!.arch;
    assert.deepEqual([q.blockCount, q.headCountKv, q.headDim, q.vocabSize], [28, 4, 128, 152064]);
  });

  it("rejects malformed catalog data", () => {
    const noRepo = mutableCopy();
    noRepo.models[0].quants[0].repo = null;
    assert.throws(() => CatalogSchema.parse(noRepo), /a file needs its repo/);

    const dupId = mutableCopy();
    dupId.models.push(dupId.models[0]);
    assert.throws(() => CatalogSchema.parse(dupId), /duplicate model id/);

    const noFim = mutableCopy();
    const completion = noFim.models.find((m) => (m.roles as string[]).includes("completion"))!;
    completion.fim = null;
    assert.throws(() => CatalogSchema.parse(noFim), /needs FIM tokens/);

    const badQuant = mutableCopy();
    badQuant.models[0].quants[0].quant = "Q4 K M";
    assert.throws(() => CatalogSchema.parse(badQuant));

    const exactWithoutBytes = mutableCopy();
    Object.assign(exactWithoutBytes.models[0].quants[0], { sizeKind: "exact", sizeBytes: null });
    assert.throws(() => CatalogSchema.parse(exactWithoutBytes), /exact size/);
  });

  it("converts sizes: exact bytes, else the listing at face value", () => {
    const g = findModel("gemma-2-2b-it")!;
    assert.equal(quantSizeBytes(g.quants.find((q) => q.quant === "IQ1_S")!), 794 * MiB);
    assert.equal(quantSizeBytes(g.quants.find((q) => q.quant === "Q4_K_M")!), 1708582720);
    const q15 = findModel("qwen2.5-coder-1.5b")!;
    assert.equal(quantSizeBytes(q15.quants.find((q) => q.quant === "Q8_0")!), 1646573056);
    assert.equal(quantSizeBytes(q15.quants.find((q) => q.quant === "Q4_K_M")!), 986e6);
    assert.equal(quantSizeBytes(q15.quants.find((q) => q.quant === "Q6_K")!), 1.27e9);
  });

  it("builds ladders only from downloadable, sized rows with a known bit width", () => {
    const q7 = ladderFromCatalog(findModel("qwen2.5-coder-7b")!);
    assert.deepEqual(q7.quants.map((q) => q.quant).sort(), ["Q4_K_M", "Q8_0"]);
    for (const m of catalog.models) {
      for (const q of ladderFromCatalog(m).quants) {
        assert.ok(q.sizeBytes > 0 && q.file.length > 0, `${m.id} ${q.quant}`);
        assert.notEqual(nominalBits(q.quant), null, `${m.id} ${q.quant}`);
      }
    }
  });
});

describe("model override strings", () => {
  const cases: Array<[string, ReturnType<typeof parseModelOverride>]> = [
    ["auto", { kind: "auto" }],
    ["  AUTO ", { kind: "auto" }],
    ["", { kind: "auto" }],
    ["qwen2.5-coder-1.5b", { kind: "catalog", id: "qwen2.5-coder-1.5b", quant: null }],
    ["qwen2.5-coder-1.5b:Q4_K_M", { kind: "catalog", id: "qwen2.5-coder-1.5b", quant: "Q4_K_M" }],
    ["Gemma-2-2B-it:iq4_xs", { kind: "catalog", id: "gemma-2-2b-it", quant: "iq4_xs" }],
    ["/models/my.gguf", { kind: "path", path: "/models/my.gguf" }],
    ["C:\\models\\my.GGUF", { kind: "path", path: "C:\\models\\my.GGUF" }],
    ["D:/m/x.gguf", { kind: "path", path: "D:/m/x.gguf" }],
  ];
  for (const [input, expected] of cases) {
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseModelOverride(input), expected));
  }

  for (const bad of ["models/my.gguf", "my.gguf", "/models/my.bin", "qwen 1.5b", "qwen:Q4 K", "a:b:c"]) {
    it(`rejects ${JSON.stringify(bad)} with a readable message`, () => {
      assert.throws(
        () => parseModelOverride(bad),
        (e: unknown) => e instanceof ModelOverrideError && e.message.includes(bad),
      );
    });
  }

  it("checks ids and quants against the catalog, naming the valid choices", () => {
    assert.throws(
      () => resolveCatalogOverride({ id: "nope", quant: null }, "completion"),
      /Unknown model "nope".*qwen2\.5-coder-1\.5b/,
    );
    assert.throws(
      () => resolveCatalogOverride({ id: "gemma-2-2b-it", quant: null }, "completion"),
      /not a completion model/,
    );
    assert.throws(
      () => resolveCatalogOverride({ id: "qwen2.5-coder-7b", quant: "Q6_K" }, "completion"),
      /no downloadable quant "Q6_K".*Available: .*Q8_0/,
    );
    const ok = resolveCatalogOverride({ id: "qwen2.5-coder-1.5b", quant: "q4_k_m" }, "completion");
    assert.equal(ok.quant?.quant, "Q4_K_M");
    assert.equal(resolveCatalogOverride({ id: "gemma-2-2b-it", quant: null }, "chat").quant, null);
  });
});
