import * as assert from "node:assert/strict";
import {
  buildFimPrompt,
  CHUNK_SEPARATOR,
  type FimPromptInput,
} from "../../../src/core/completion/templating/fimPrompt";
import type { FimLayout } from "../../../src/core/completion/settings";
import type { PromptSegment } from "../../../src/core/protocol/workerProtocol";
import {
  candidateTokenTexts,
  familyFromModelName,
  fimTemplate,
  templateFromVocabulary,
  templateSpecialTokens,
  type FimFamily,
} from "../../../src/core/remote/fimTemplates";
import { segmentsToInfill, segmentsToTemplateText } from "../../../src/core/remote/remotePrompt";
import { findModel } from "../../../src/core/models/catalog";

const ALL = { fimPrefix: true, fimSuffix: true, fimMiddle: true, fileSeparator: true, repoName: true };
const FIM_ONLY = { fimPrefix: true, fimSuffix: true, fimMiddle: true };
const SERVER = "http://127.0.0.1:8080";

function segments(input: Partial<FimPromptInput> & { layout: FimLayout }): PromptSegment[] {
  const built = buildFimPrompt({ prefix: "a = 1\nb = ", suffix: "\nc = 3\n", specialTokens: ALL, ...input });
  assert.ok(built.ok);
  return built.segments;
}

describe("remote FIM prompts", () => {
  describe("as /v1/completions text with a family's token texts", () => {
    const qwen = fimTemplate("qwen2.5-coder");
    const cases: { name: string; input: Partial<FimPromptInput> & { layout: FimLayout }; text: string }[] = [
      {
        name: "psm",
        input: { layout: "psm", specialTokens: FIM_ONLY },
        text: "<|fim_prefix|>a = 1\nb = <|fim_suffix|>\nc = 3\n<|fim_middle|>",
      },
      {
        name: "psmTail puts the cursor line after the middle token",
        input: { layout: "psmTail", specialTokens: FIM_ONLY },
        text: "<|fim_prefix|>a = 1\n<|fim_suffix|>\nc = 3\n<|fim_middle|>b = ",
      },
      {
        name: "spm",
        input: { layout: "spm", specialTokens: FIM_ONLY },
        text: "<|fim_suffix|>\nc = 3\n<|fim_prefix|>a = 1\nb = <|fim_middle|>",
      },
      {
        name: "repo name, other files and the file header",
        input: {
          layout: "psm",
          repoName: "proj",
          filePath: "src/x.py",
          extraChunks: [{ path: "src/y.py", text: "def y(): pass" }],
        },
        text: "<|repo_name|>proj\n<|file_sep|>src/y.py\ndef y(): pass\n<|file_sep|>src/x.py\n<|fim_prefix|>a = 1\nb = <|fim_suffix|>\nc = 3\n<|fim_middle|>",
      },
    ];
    for (const c of cases)
      it(c.name, () => {
        const out = segmentsToTemplateText(segments(c.input), qwen, "qwen2.5-coder", SERVER);
        assert.deepEqual(out, { ok: true, value: c.text });
      });

    it("uses each family's own texts (deepseek-coder)", () => {
      const out = segmentsToTemplateText(
        segments({ layout: "psm", specialTokens: FIM_ONLY }),
        fimTemplate("deepseek-coder"),
        "deepseek-coder",
        SERVER,
      );
      assert.deepEqual(out, { ok: true, value: "<｜fim▁begin｜>a = 1\nb = <｜fim▁hole｜>\nc = 3\n<｜fim▁end｜>" });
    });

    it("a token the family lacks is an error, not a guess", () => {
      const out = segmentsToTemplateText(
        segments({ layout: "psm", filePath: "x.py" }),
        fimTemplate("deepseek-coder"),
        "deepseek-coder",
        SERVER,
      );
      assert.equal(out.ok, false);
      assert.match(!out.ok ? out.message : "", /no "fileSeparator" token text/);
    });

    it("no template: a clear fimUnsupported error naming the server and what to do", () => {
      for (const family of [null, "codellama"] as const) {
        const out = segmentsToTemplateText(segments({ layout: "psm" }), null, family, SERVER);
        assert.equal(out.ok, false);
        if (out.ok) continue;
        assert.equal(out.code, "fimUnsupported");
        assert.match(out.message, /127\.0\.0\.1:8080/);
        assert.match(out.message, family ? /▁<PRE>/ : /matches no FIM family/);
      }
    });
  });

  describe("as an /infill request", () => {
    const cases: {
      name: string;
      input: Partial<FimPromptInput> & { layout: FimLayout };
      expected: ReturnType<typeof segmentsToInfill>;
    }[] = [
      {
        name: "psm: prefix and suffix, empty prompt",
        input: { layout: "psm", specialTokens: FIM_ONLY },
        expected: {
          ok: true,
          value: { input_prefix: "a = 1\nb = ", input_suffix: "\nc = 3\n", input_extra: [], prompt: "" },
        },
      },
      {
        name: "psmTail: the cursor line goes in prompt",
        input: { layout: "psmTail", specialTokens: FIM_ONLY },
        expected: {
          ok: true,
          value: { input_prefix: "a = 1\n", input_suffix: "\nc = 3\n", input_extra: [], prompt: "b = " },
        },
      },
      {
        name: "spm: the server decides the order itself",
        input: { layout: "spm", specialTokens: FIM_ONLY },
        expected: {
          ok: true,
          value: { input_prefix: "a = 1\nb = ", input_suffix: "\nc = 3\n", input_extra: [], prompt: "" },
        },
      },
      {
        name: "file sections become named chunks; repo name and the current file's header are the server's",
        input: {
          layout: "psm",
          repoName: "proj",
          filePath: "src/x.py",
          extraChunks: [
            { path: "src/y.py", text: "def y(): pass" },
            { path: "z.md", text: "# Z\n" },
          ],
        },
        expected: {
          ok: true,
          value: {
            input_prefix: "a = 1\nb = ",
            input_suffix: "\nc = 3\n",
            input_extra: [
              { filename: "src/y.py", text: "def y(): pass" },
              { filename: "z.md", text: "# Z" },
            ],
            prompt: "",
          },
        },
      },
      {
        name: "snippets without a file-separator token become unnamed chunks",
        input: {
          layout: "psmTail",
          specialTokens: FIM_ONLY,
          extraChunks: [
            { path: "y.py", text: "one" },
            { path: "z.py", text: "two\n" },
          ],
        },
        expected: {
          ok: true,
          value: {
            input_prefix: "a = 1\n",
            input_suffix: "\nc = 3\n",
            input_extra: [{ text: "one" }, { text: "two" }],
            prompt: "b = ",
          },
        },
      },
      {
        name: "empty prefix and suffix",
        input: { layout: "psm", specialTokens: FIM_ONLY, prefix: "", suffix: "" },
        expected: { ok: true, value: { input_prefix: "", input_suffix: "", input_extra: [], prompt: "" } },
      },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(segmentsToInfill(segments(c.input)), c.expected));

    const bad: { name: string; segments: PromptSegment[]; why: RegExp }[] = [
      { name: "no FIM part", segments: [{ text: "hello" }], why: /no FIM prefix or suffix/ },
      {
        name: "no middle token",
        segments: [{ special: "fimPrefix" }, { text: "a" }, { special: "fimSuffix" }],
        why: /middle token is missing/,
      },
      {
        name: "an EOS token after the middle",
        segments: [{ special: "fimPrefix" }, { special: "fimSuffix" }, { special: "fimMiddle" }, { special: "eos" }],
        why: /unexpected "eos" token/,
      },
      {
        name: "text before the snippets",
        segments: [
          { text: "stray" + CHUNK_SEPARATOR + "x" },
          { special: "fimPrefix" },
          { special: "fimSuffix" },
          { special: "fimMiddle" },
        ],
        why: /text before the extra context/,
      },
    ];
    for (const b of bad)
      it(`refuses ${b.name}`, () => {
        const out = segmentsToInfill(b.segments);
        assert.equal(out.ok, false);
        assert.match(!out.ok ? out.message : "", b.why);
      });
  });

  describe("FIM families", () => {
    const names: [string, FimFamily | null][] = [
      ["qwen2.5-coder-1.5b-q8_0.gguf", "qwen2.5-coder"],
      ["Qwen/Qwen2.5-Coder-7B", "qwen2.5-coder"],
      ["qwen2.5-coder:1.5b-base", "qwen2.5-coder"],
      ["Qwen3-Coder-30B-A3B-Instruct", "qwen2.5-coder"],
      ["codegemma:2b-code", "codegemma"],
      ["bigcode/starcoder2-3b", "starcoder2"],
      ["deepseek-coder-1.3b-base", "deepseek-coder"],
      ["DeepSeek-Coder-V2-Lite-Base", null],
      ["codellama:7b-code", "codellama"],
      ["CodeLlama-7b-hf", "codellama"],
      ["llama-3.1-8b-instruct", null],
      ["gpt-4o", null],
    ];
    for (const [name, family] of names)
      it(`"${name}" -> ${family}`, () => assert.equal(familyFromModelName(name), family));

    it("qwen and codegemma texts come from the catalog", () => {
      for (const [family, id] of [
        ["qwen2.5-coder", "qwen2.5-coder-1.5b"],
        ["codegemma", "codegemma-2b"],
      ] as const) {
        const t = fimTemplate(family);
        const fim = findModel(id)?.fim;
        assert.ok(t && fim);
        assert.deepEqual(
          [t.prefix, t.suffix, t.middle, t.fileSeparator, t.repoName],
          [fim.prefix, fim.suffix, fim.middle, fim.fileSeparator, fim.repoName],
        );
      }
    });

    it("codellama has no template (its text form is unverified)", () => assert.equal(fimTemplate("codellama"), null));

    it("the server's vocabulary decides between families that share FIM texts", () => {
      const vocab = (texts: string[]) => (t: string) => texts.includes(t);
      const qwen = templateFromVocabulary(
        vocab(["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>", "<|repo_name|>"]),
      );
      assert.equal(qwen?.family, "qwen2.5-coder");
      const gemma = templateFromVocabulary(
        vocab(["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>"]),
      );
      assert.equal(gemma?.family, "codegemma");
      assert.equal(gemma?.repoName, null);
      const partial = templateFromVocabulary(vocab(["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"]));
      assert.equal(partial?.fileSeparator, null, "a file separator the vocabulary lacks is dropped");
      assert.equal(templateFromVocabulary(vocab(["<|fim_prefix|>", "<|fim_middle|>"])), null);
      assert.equal(
        templateFromVocabulary(vocab(["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<repo_name>"]))
          ?.family,
        "starcoder2",
      );
    });

    it("lists every text a vocabulary check needs", () => {
      const texts = candidateTokenTexts();
      for (const t of ["<|fim_prefix|>", "<|file_separator|>", "<fim_middle>", "<｜fim▁hole｜>", "<repo_name>"])
        assert.ok(texts.includes(t), t);
    });

    it("special tokens follow the template", () => {
      assert.deepEqual(templateSpecialTokens(null), {
        eos: false,
        fimPrefix: false,
        fimSuffix: false,
        fimMiddle: false,
        fileSeparator: false,
        repoName: false,
      });
      assert.deepEqual(templateSpecialTokens(fimTemplate("deepseek-coder")), {
        eos: false,
        fimPrefix: true,
        fimSuffix: true,
        fimMiddle: true,
        fileSeparator: false,
        repoName: false,
      });
    });
  });
});
