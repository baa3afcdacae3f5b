import assert from "node:assert/strict";
import * as vscode from "vscode";
import { expectedChatReply, expectedCompletion } from "../fixtures/gguf/deterministicModel";
import type { ExtensionApi } from "../../src/vscode/extension";

const EXTENSION_ID = "localcode.local-code-assistant";

async function api(): Promise<ExtensionApi> {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not installed`);
    return ext.activate();
}

async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

describe("features in the real extension host", function () {
    this.timeout(120_000);

    it("the configured completion model loads in the worker and completes exactly", async () => {
        const { engine, models, worker } = await api();
        const info = await models.ensureLoaded("completion");
        assert.equal(info.specialTokens.fimMiddle, true);
        const result = await engine.generate("completion", { kind: "complete", prompt: "const total = ", maxTokens: 16 });
        assert.equal(result.text, expectedCompletion("const total = ").text);
        const pid = worker()?.pid ?? null;
        assert.ok(pid !== null && pid !== process.pid, "the model runs in its own process");
    });

    it("the chat model answers through its chat template", async () => {
        const { engine, models } = await api();
        await models.ensureLoaded("chat");
        const result = await engine.generate("chat", { kind: "chat", messages: [{ role: "user", content: "hello" }], maxTokens: 16 });
        assert.equal(result.text, expectedChatReply().text);
    });

    it("an invalid model setting is reported by name and no model is guessed in its place", async () => {
        const { settings, models } = await api();
        const config = vscode.workspace.getConfiguration("localCode");
        const before = config.get<string>("chat.model");
        try {
            await config.update("chat.model", "relative/model.gguf", vscode.ConfigurationTarget.Global);
            assert.equal(vscode.workspace.getConfiguration("localCode").get("chat.model"), "relative/model.gguf");
            const current = await waitFor(() => settings().errors.length > 0 && settings(), 10_000, "the settings error");
            assert.ok(current.errors.some((e) => e.startsWith("localCode.chat.model:") && /absolute/.test(e)), current.errors.join("; "));
            await assert.rejects(models.ensureLoaded("chat"), /localCode\.chat\.model is invalid/);
        } finally {
            await config.update("chat.model", before, vscode.ConfigurationTarget.Global);
        }
        await waitFor(() => settings().errors.length === 0, 10_000, "the settings error to clear");
        const info = await models.ensureLoaded("chat");
        assert.equal(info.modelPath, before);
    });
});
