import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copiedChunk } from "../../../src/core/completion/context/copiedChunk";
import { selectChunks } from "../../../src/core/completion/context/selectChunks";
import { parseSettings } from "../../../src/core/config/settings";
import { DEFAULT_CONTEXT_EXCLUDE, excludeMatcher, excludedMessage } from "../../../src/core/context/exclude";

const root = path.resolve(__dirname, "../../../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const contributed = manifest.contributes.configuration.properties["localCode.context.exclude"];

describe("context exclude (localCode.context.exclude)", () => {
  const { matches } = excludeMatcher(DEFAULT_CONTEXT_EXCLUDE);

  it("the manifest's default is the schema's default", () => {
    assert.deepEqual(contributed.default, DEFAULT_CONTEXT_EXCLUDE);
    assert.deepEqual(parseSettings({}).settings.context.exclude, DEFAULT_CONTEXT_EXCLUDE);
    assert.equal(contributed.type, "array");
  });

  it("the default refuses env files, keys and secret folders at any depth", () => {
    for (const p of [
      ".env",
      ".env.local",
      "app/.env.production",
      "deploy/prod.env",
      "certs/server.pem",
      "config/tls.key",
      "id_rsa",
      "home/.ssh/id_ed25519.pub",
      ".ssh/config",
      "/home/me/.ssh/known_hosts",
      "secrets/db-password.txt",
      "infra/secrets/api.json",
      "/srv/app/secrets/token",
      ".aws/credentials",
      "C:\\work\\app\\.ENV",
      "file:///work/app/.env",
    ])
      assert.equal(matches(p), true, p);
  });

  it("lets ordinary source files through, including names that merely contain env or key", () => {
    for (const p of [
      "src/main.ts",
      "src/env.ts",
      "environment.ts",
      "src/keys.ts",
      "key.ts",
      "docs/secrets.md",
      "a.pem.md",
    ])
      assert.equal(matches(p), false, p);
    assert.equal(matches(""), false);
  });

  it("user globs: a pattern with a slash is a workspace path, one without matches the file name anywhere", () => {
    const m = excludeMatcher(["config/*.yaml", "*.sqlite"]).matches;
    assert.equal(m("config/prod.yaml"), true);
    assert.equal(m("other/config/prod.yaml"), false);
    assert.equal(m("data/cache.sqlite"), true);
    assert.equal(m(".env"), false, "replacing the default drops it");
  });

  it("a bad glob costs that glob only", () => {
    const result = parseSettings({ context: { exclude: ["*.pem", "", 3] } });
    assert.deepEqual(result.settings.context.exclude, ["*.pem"]);
    assert.equal(result.errors.length, 2);
    assert.ok(result.errors.every((e) => e.startsWith("localCode.context.exclude: item")));
  });

  it("says in words why a chip was refused", () => {
    assert.match(excludedMessage(".env"), /^\.env was not attached: it matches localCode\.context\.exclude/);
  });
});

describe("context exclude in the completion sources", () => {
  const { matches } = excludeMatcher(DEFAULT_CONTEXT_EXCLUDE);
  const chunk = (p: string, text: string) => ({ uri: `file:///w/${p}`, path: p, text });

  it("a ring chunk of an excluded file never reaches the prompt (even one queued before the setting changed)", () => {
    const chunks = [chunk("src/a.ts", "a\nb\nc"), chunk(".env", "API_KEY=sk-123\nDB=x\nY=z")];
    const picked = selectChunks({
      chunks,
      budgetTokens: 10_000,
      uri: "file:///w/main.ts",
      windowText: "",
      exclude: matches,
    });
    assert.deepEqual(
      picked.map((c) => c.path),
      ["src/a.ts"],
    );
    const unfiltered = selectChunks({ chunks, budgetTokens: 10_000, uri: "file:///w/main.ts", windowText: "" });
    assert.equal(unfiltered.length, 2);
  });

  it("text copied out of an excluded file is not queued, not even as bare copied lines", () => {
    const docs = [
      { uri: "file:///w/.env", path: ".env", text: "A=1\nAPI_KEY=sk-secret-123\nB=2\n" },
      { uri: "file:///w/src/a.ts", path: "src/a.ts", text: "export const a = 1;\n" },
    ];
    assert.equal(copiedChunk("API_KEY=sk-secret-123", docs, 64, matches), null);
    assert.equal(copiedChunk("API_KEY=sk-secret-123", docs, 64)?.path, ".env", "without the rule it would be read");
    assert.equal(copiedChunk("export const a = 1;", docs, 64, matches)?.path, "src/a.ts");
    assert.equal(copiedChunk("from a browser", docs, 64, matches)?.path, "clipboard");
  });
});
