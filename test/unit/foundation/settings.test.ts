import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { backendPlan, parseSettings, SettingsSchema } from "../../../src/core/config/settings";

const root = path.resolve(__dirname, "../../../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const properties: Record<string, { default?: unknown; enum?: unknown[] }> =
  manifest.contributes.configuration.properties;

/** Turns {"localCode.a.b": {default}} into {a: {b: default}}. */
function contributedDefaults(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    const parts = key.replace(/^localCode\./, "").split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = schema.default;
  }
  return out;
}

describe("settings schema", () => {
  it("package.json's contributed defaults pass the schema unchanged", () => {
    const result = parseSettings(contributedDefaults());
    assert.deepEqual(result.errors, []);
    const schemaDefaults = SettingsSchema.parse({});
    assert.equal(result.settings.completion.model, schemaDefaults.completion.model);
    assert.equal(result.settings.threads, schemaDefaults.threads);
    assert.equal(result.settings.chat.contextSize, schemaDefaults.chat.contextSize);
  });

  it("every contributed setting lives under localCode. with a default", () => {
    for (const [key, schema] of Object.entries(properties)) {
      assert.match(key, /^localCode\./);
      assert.ok("default" in schema, `${key} has no default`);
    }
  });

  it("enum settings in package.json match the schema's enums", () => {
    assert.deepEqual(properties["localCode.gpu"].enum, SettingsSchema.shape.gpu.unwrap().options);
    assert.deepEqual(properties["localCode.quantPolicy"].enum, SettingsSchema.shape.quantPolicy.unwrap().options);
  });

  it("acceptedLicences: empty by default, trimmed, a bad entry costs that entry only (named)", () => {
    assert.deepEqual(parseSettings({}).settings.acceptedLicences, []);
    assert.deepEqual(properties["localCode.acceptedLicences"].default, []);
    const r = parseSettings({ acceptedLicences: [" qwen-research ", "no spaces please", "gemma"], threads: 3 });
    assert.deepEqual(r.settings.acceptedLicences, ["qwen-research", "gemma"]);
    assert.equal(r.settings.threads, 3);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /^localCode\.acceptedLicences.*licence id/);
    // The manifest's pattern agrees with the schema on both kinds of entry.
    const items = (properties["localCode.acceptedLicences"] as { items: { pattern: string } }).items;
    const pattern = new RegExp(items.pattern);
    assert.ok(pattern.test("qwen-research") && pattern.test("llama3.1"));
    assert.ok(!pattern.test("no spaces please") && !pattern.test("-x"));
    assert.equal(parseSettings({ acceptedLicences: ["-x"] }).errors.length, 1);
  });

  it("names the bad setting and keeps the others", () => {
    const result = parseSettings({ threads: -1, gpu: "cuda", completion: { model: "relative/model.gguf" } });
    assert.equal(result.errors.length, 2);
    assert.ok(result.errors.some((e) => e.startsWith("localCode.threads:")));
    assert.ok(result.errors.some((e) => e.startsWith("localCode.completion.model:") && /absolute/.test(e)));
    assert.deepEqual(result.invalidKeys.sort(), ["completion.model", "threads"]);
    assert.equal(result.settings.gpu, "cuda");
  });

  it("accepts auto, catalog ids with a quant, and absolute .gguf paths", () => {
    for (const model of ["auto", "qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b:Q4_K_M", "/models/x.gguf"])
      assert.deepEqual(parseSettings({ completion: { model } }).errors, [], model);
    for (const model of ["", "model.gguf", "/models/x.bin"])
      assert.equal(parseSettings({ completion: { model } }).errors.length, 1, model);
  });

  it("rejects a non-http download endpoint", () => {
    assert.equal(parseSettings({ downloadEndpoint: "ftp://mirror" }).errors.length, 1);
    assert.equal(parseSettings({ downloadEndpoint: "https://mirror.example/hf" }).errors.length, 0);
    assert.deepEqual(parseSettings({ modelsFolder: "models" }).invalidKeys, ["modelsFolder"]);
    assert.equal(
      parseSettings({ modelsFolder: path.resolve("/srv/models") }).settings.modelsFolder,
      path.resolve("/srv/models"),
    );
    assert.equal(parseSettings({}).settings.modelsFolder, "");
  });
});

describe("settings from VS Code", () => {
  it("parses read-only proxies like the ones VS Code returns, even when a value is bad", () => {
    const frozen = new Proxy(Object.freeze({ chat: Object.freeze({ model: "relative/model.gguf" }) }), {});
    const result = parseSettings(frozen);
    assert.deepEqual(result.invalidKeys, ["chat.model"]);
    assert.equal(result.settings.chat.model, "auto");
  });
});

describe("backend settings (localCode.backend, localCode.remote.*)", () => {
  it("local by default; remote needs a URL and says so by name", () => {
    assert.deepEqual(backendPlan(parseSettings({})), { kind: "local" });
    const missing = backendPlan(parseSettings({ backend: "remote" }));
    assert.equal(missing.kind, "misconfigured");
    assert.match(missing.kind === "misconfigured" ? missing.problem : "", /localCode\.remote\.url is empty/);
  });

  it("a bad URL is a named settings error, never a fall-back to local", () => {
    for (const url of ["not a url", "ftp://h:1", "http://user:pw@h:1", "http://h:1/?q=1"]) {
      const result = parseSettings({ backend: "remote", remote: { url } });
      assert.ok(
        result.errors.some((e) => e.startsWith("localCode.remote.url:")),
        `${url}: ${result.errors.join("; ")}`,
      );
      assert.equal(result.settings.backend, "remote");
      const plan = backendPlan(result);
      assert.equal(plan.kind, "misconfigured", url);
      assert.match(plan.kind === "misconfigured" ? plan.problem : "", /localCode\.remote\.url/);
    }
    assert.equal(backendPlan(parseSettings({ backend: "cloud" })).kind, "misconfigured");
  });

  it("a good URL is normalised and the remote options reach the plan", () => {
    const plan = backendPlan(
      parseSettings({
        backend: "remote",
        remote: {
          url: " http://127.0.0.1:8080/v1/ ",
          chatModel: "chat",
          completionRoute: "infill",
          stallTimeoutMs: 500,
        },
      }),
    );
    assert.equal(plan.kind, "remote");
    if (plan.kind !== "remote") return;
    assert.equal(plan.url, "http://127.0.0.1:8080");
    assert.equal(plan.remote.chatModel, "chat");
    assert.equal(plan.remote.completionModel, "");
    assert.equal(plan.remote.completionRoute, "infill");
    assert.equal(plan.remote.stallTimeoutMs, 500);
  });

  it("package.json's remote enums match the schema's", () => {
    const remote = SettingsSchema.shape.remote.unwrap().shape;
    assert.deepEqual(properties["localCode.backend"].enum, SettingsSchema.shape.backend.unwrap().options);
    assert.deepEqual(properties["localCode.remote.completionRoute"].enum, remote.completionRoute.unwrap().options);
    assert.deepEqual(properties["localCode.remote.fimFamily"].enum, remote.fimFamily.unwrap().options);
  });

  it("no setting can hold the API key", () => {
    for (const key of Object.keys(properties))
      assert.doesNotMatch(key, /apikey|api-key|api_key|secret|password|bearer/i);
  });
});

describe("settings fall back per field (issue #16)", () => {
  it("a bad array element costs that element only: backend stays remote, models stay", () => {
    const raw = {
      backend: "remote",
      remote: { url: "http://gpu-box:8080", chatModel: "qwen" },
      completion: { model: "/models/a.gguf", disabledLanguages: ["markdown", "", "plaintext"] },
      chat: { model: "qwen2.5-coder-1.5b" },
      threads: 4,
    };
    const result = parseSettings(raw);
    assert.equal(result.settings.backend, "remote");
    assert.equal(result.settings.remote.url, "http://gpu-box:8080");
    assert.equal(result.settings.remote.chatModel, "qwen");
    assert.equal(result.settings.completion.model, "/models/a.gguf");
    assert.equal(result.settings.chat.model, "qwen2.5-coder-1.5b");
    assert.equal(result.settings.threads, 4);
    assert.deepEqual(result.settings.completion.disabledLanguages, ["markdown", "plaintext"]);
    assert.deepEqual(result.invalidKeys, ["completion.disabledLanguages"]);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0], /^localCode\.completion\.disabledLanguages: item 2 \(""\) is ignored: /);
    assert.deepEqual(backendPlan(result), {
      kind: "remote",
      url: "http://gpu-box:8080",
      remote: result.settings.remote,
    });
  });

  it("several bad elements and bad fields at once: each costs only itself", () => {
    const result = parseSettings({
      backend: "remote",
      remote: { url: "http://h:1", stallTimeoutMs: 5 },
      completion: { disabledLanguages: ["", 3, "go", ""], maxTokens: 0, debounceMs: 10 },
    });
    assert.deepEqual(result.settings.completion.disabledLanguages, ["go"]);
    assert.equal(result.settings.completion.maxTokens, 64, "the bad field falls back to its default");
    assert.equal(result.settings.completion.debounceMs, 10, "its good sibling stays");
    assert.equal(result.settings.remote.url, "http://h:1");
    assert.equal(result.settings.remote.stallTimeoutMs, 30_000);
    assert.deepEqual(result.invalidKeys.sort(), [
      "completion.disabledLanguages",
      "completion.maxTokens",
      "remote.stallTimeoutMs",
    ]);
    assert.equal(result.errors.filter((e) => e.startsWith("localCode.completion.disabledLanguages: item ")).length, 3);
  });

  it("a whole section of the wrong type falls back alone", () => {
    const result = parseSettings({
      backend: "remote",
      remote: { url: "http://h:1" },
      completion: "yes",
      chat: { temperature: 0.7 },
    });
    assert.equal(result.settings.backend, "remote");
    assert.equal(result.settings.completion.maxTokens, 64);
    assert.equal(result.settings.chat.temperature, 0.7);
    assert.deepEqual(result.invalidKeys, ["completion"]);
  });
});
