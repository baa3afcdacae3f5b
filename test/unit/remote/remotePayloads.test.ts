import * as assert from "node:assert/strict";
import { normalizeServerUrl, RemoteSettingsSchema } from "../../../src/core/remote/remoteConfig";
import {
  chatBody,
  completionsBody,
  infillBody,
  parseStep,
  type StreamStep,
} from "../../../src/core/remote/remoteRequests";
import {
  errorBodyMessage,
  ModelListSchema,
  parsePayload,
  PropsSchema,
  TokenizeResponseSchema,
} from "../../../src/core/remote/schemas";

// Shapes as the servers send them (llama-server's from its source, tools/server/server-task.cpp).
const LLAMA_NATIVE_PARTIAL = {
  index: 0,
  content: "O",
  tokens: [],
  stop: false,
  id_slot: 0,
  tokens_predicted: 1,
  tokens_evaluated: 12,
  timings: { cache_n: 8, prompt_n: 4, predicted_n: 1 },
};
const LLAMA_NATIVE_FINAL = {
  ...LLAMA_NATIVE_PARTIAL,
  content: "",
  stop: true,
  stop_type: "eos",
  stopping_word: "",
  tokens_predicted: 2,
  tokens_cached: 14,
  timings: { cache_n: 8, prompt_n: 4, predicted_n: 2 },
};
const OAI_TEXT_CHUNK = {
  choices: [{ text: "bc", index: 0, logprobs: null, finish_reason: null }],
  object: "text_completion",
  model: "m",
};
const OAI_TEXT_FINAL = {
  choices: [{ text: "", index: 0, logprobs: null, finish_reason: "length" }],
  object: "text_completion",
  timings: { cache_n: 0, prompt_n: 3, predicted_n: 5 },
};
const OAI_USAGE_ONLY = {
  choices: [],
  usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, prompt_tokens_details: { cached_tokens: 16 } },
};
const OAI_CHAT_ROLE = {
  choices: [{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }],
  object: "chat.completion.chunk",
};
const OAI_CHAT_TEXT = {
  choices: [{ finish_reason: null, index: 0, delta: { content: "HI" } }],
  object: "chat.completion.chunk",
};
const OAI_CHAT_STOP = { choices: [{ finish_reason: "stop", index: 0, delta: {} }], object: "chat.completion.chunk" };

describe("remote payloads", () => {
  describe("stream events", () => {
    const cases: {
      name: string;
      style: "infill" | "completions" | "chat";
      json: unknown;
      expect: Partial<StreamStep>;
    }[] = [
      {
        name: "llama-server native partial",
        style: "infill",
        json: LLAMA_NATIVE_PARTIAL,
        expect: { text: "O", finish: null, last: false, promptTokens: 12, cachedPromptTokens: 8, generatedTokens: 1 },
      },
      {
        name: "llama-server native final (eos)",
        style: "infill",
        json: LLAMA_NATIVE_FINAL,
        expect: {
          text: "",
          finish: "eogToken",
          last: true,
          promptTokens: 12,
          cachedPromptTokens: 8,
          generatedTokens: 2,
        },
      },
      {
        name: "native final at the token limit",
        style: "infill",
        json: { ...LLAMA_NATIVE_FINAL, stop_type: "limit" },
        expect: { finish: "maxTokens", last: true },
      },
      {
        name: "OpenAI text chunk",
        style: "completions",
        json: OAI_TEXT_CHUNK,
        expect: {
          text: "bc",
          finish: null,
          last: false,
          promptTokens: null,
          cachedPromptTokens: null,
          generatedTokens: null,
        },
      },
      {
        name: "OpenAI text final with llama-server timings",
        style: "completions",
        json: OAI_TEXT_FINAL,
        expect: { finish: "maxTokens", promptTokens: 3, cachedPromptTokens: 0, generatedTokens: 5 },
      },
      {
        name: "OpenAI usage-only chunk (include_usage)",
        style: "completions",
        json: OAI_USAGE_ONLY,
        expect: { text: "", finish: null, promptTokens: 20, cachedPromptTokens: 16, generatedTokens: 5 },
      },
      { name: "chat role chunk has no text", style: "chat", json: OAI_CHAT_ROLE, expect: { text: "", finish: null } },
      { name: "chat text chunk", style: "chat", json: OAI_CHAT_TEXT, expect: { text: "HI", finish: null } },
      { name: "chat stop chunk", style: "chat", json: OAI_CHAT_STOP, expect: { text: "", finish: "eogToken" } },
    ];
    for (const c of cases)
      it(c.name, () => {
        const out = parseStep(c.style, c.json);
        assert.ok(out.ok, !out.ok ? out.message : "");
        for (const [key, value] of Object.entries(c.expect))
          assert.deepEqual((out.step as unknown as Record<string, unknown>)[key], value, key);
      });

    it("rejects events of the wrong shape with the field that is wrong", () => {
      const out = parseStep("chat", { choices: "nope" });
      assert.equal(out.ok, false);
      assert.match(!out.ok ? out.message : "", /choices/);
      assert.equal(parseStep("infill", { content: 3, stop: false }).ok, false);
    });
  });

  describe("error bodies", () => {
    const cases: [string, string, string | null][] = [
      [
        "llama-server / OpenAI",
        JSON.stringify({ error: { code: 401, message: "Invalid API Key", type: "authentication_error" } }),
        "Invalid API Key",
      ],
      [
        "vLLM",
        JSON.stringify({ object: "error", message: "The model `x` does not exist.", type: "NotFoundError", code: 404 }),
        "The model `x` does not exist.",
      ],
      ["Ollama", JSON.stringify({ error: "model 'x' not found" }), "model 'x' not found"],
      ["HTML from a proxy", "<html>502 Bad Gateway</html>", null],
      ["unrelated JSON", JSON.stringify({ hello: 1 }), null],
    ];
    for (const [name, text, message] of cases)
      it(name, () => assert.equal(errorBodyMessage(text)?.message ?? null, message));
  });

  describe("server descriptions", () => {
    it("llama-server /props and /v1/models", () => {
      const props = parsePayload(
        PropsSchema,
        JSON.stringify({
          default_generation_settings: { n_ctx: 2048, params: {} },
          total_slots: 1,
          model_path: "/m.gguf",
          chat_template: "{{x}}",
          extra: true,
        }),
        "/props",
      );
      assert.ok(props.ok);
      assert.equal(props.value.default_generation_settings?.n_ctx, 2048);
      const models = parsePayload(
        ModelListSchema,
        JSON.stringify({
          object: "list",
          data: [{ id: "bigram", object: "model", owned_by: "llamacpp", meta: { n_ctx_train: 32768, size: 1000 } }],
        }),
        "/v1/models",
      );
      assert.ok(models.ok);
      assert.equal(models.value.data[0].meta?.n_ctx_train, 32768);
    });

    it("vLLM /v1/models with max_model_len; Ollama without", () => {
      assert.ok(
        parsePayload(
          ModelListSchema,
          JSON.stringify({ data: [{ id: "Qwen/Qwen2.5-Coder-1.5B", max_model_len: 32768 }] }),
          "x",
        ).ok,
      );
      assert.ok(
        parsePayload(
          ModelListSchema,
          JSON.stringify({
            object: "list",
            data: [{ id: "qwen2.5-coder:1.5b", object: "model", created: 1, owned_by: "library" }],
          }),
          "x",
        ).ok,
      );
    });

    it("tokenize answers: ids, pieces, vLLM's count", () => {
      assert.ok(parsePayload(TokenizeResponseSchema, '{"tokens":[1,2,3]}', "x").ok);
      assert.ok(
        parsePayload(
          TokenizeResponseSchema,
          '{"tokens":[{"id":5,"piece":"<|fim_prefix|>"},{"id":6,"piece":[226,150]}]}',
          "x",
        ).ok,
      );
      assert.ok(parsePayload(TokenizeResponseSchema, '{"count":3,"max_model_len":4096,"tokens":[1,2,3]}', "x").ok);
    });

    it("says what is wrong with a bad payload", () => {
      const notJson = parsePayload(ModelListSchema, "<html>", "http://x/v1/models");
      assert.equal(notJson.ok, false);
      assert.match(!notJson.ok ? notJson.message : "", /http:\/\/x\/v1\/models is not JSON: <html>/);
      const wrong = parsePayload(ModelListSchema, '{"data":[{"name":"x"}]}', "http://x/v1/models");
      assert.match(!wrong.ok ? wrong.message : "", /data\.0\.id/);
    });
  });

  describe("request bodies", () => {
    const opts = { maxTokens: 16, temperature: 0 };
    it("llama-server gets cache_prompt, per-token timings and greedy top_k", () => {
      const body = completionsBody("m", "p", opts, "llama-server");
      assert.deepEqual(body, {
        model: "m",
        prompt: "p",
        max_tokens: 16,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0,
        cache_prompt: true,
        timings_per_token: true,
        top_k: 1,
      });
    });
    it("other servers get only OpenAI fields", () => {
      const body = chatBody(
        "m",
        [{ role: "user", content: "hi" }],
        { maxTokens: 8, temperature: 0.2 },
        "openai-compatible",
      );
      assert.deepEqual(body, {
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 8,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0.2,
      });
    });
    it("/infill carries the FIM fields and n_predict", () => {
      const body = infillBody(
        "m",
        { input_prefix: "a", input_suffix: "b", input_extra: [{ filename: "f", text: "t" }], prompt: "c" },
        opts,
      );
      assert.equal(body.n_predict, 16);
      assert.equal(body.input_prefix, "a");
      assert.deepEqual(body.input_extra, [{ filename: "f", text: "t" }]);
      assert.equal(body.cache_prompt, true);
    });
  });

  describe("server URL and settings", () => {
    const urls: [string, string | null][] = [
      ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
      ["http://127.0.0.1:8080/", "http://127.0.0.1:8080"],
      ["https://api.example.com/v1", "https://api.example.com"],
      ["https://api.example.com/v1/", "https://api.example.com"],
      ["http://host/llama/", "http://host/llama"],
      [" http://localhost:11434 ", "http://localhost:11434"],
      ["ftp://host", null],
      ["http://user:secret@host", null],
      ["http://host/?key=1", null],
      ["127.0.0.1:8080", null],
      ["not a url", null],
    ];
    for (const [raw, expected] of urls)
      it(`${JSON.stringify(raw)} -> ${expected ?? "error"}`, () => {
        const out = normalizeServerUrl(raw);
        assert.equal(out.ok ? out.url : null, expected, out.ok ? "" : out.message);
      });

    it("settings default to the server's only model, auto routing and generous timeouts", () => {
      const s = RemoteSettingsSchema.parse({ url: "http://x" });
      assert.deepEqual(s, {
        url: "http://x",
        completionModel: "",
        chatModel: "",
        completionRoute: "auto",
        fimFamily: "auto",
        requestTimeoutMs: 60_000,
        stallTimeoutMs: 30_000,
      });
      assert.equal(RemoteSettingsSchema.safeParse({ url: "http://x", fimFamily: "gpt" }).success, false);
    });
  });
});
