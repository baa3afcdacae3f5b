import * as assert from "node:assert/strict";
import { RemoteEngine } from "../../../src/client/remote/remoteEngine";
import { isRemoteHardware } from "../../../src/core/engine/types";
import { remoteHardwareMarkdown } from "../../../src/core/models/remoteReport";

describe("hardware with the remote backend", () => {
  it("RemoteEngine.hardware() answers where the models run instead of throwing (no request is made)", async () => {
    const engine = new RemoteEngine({ url: "http://127.0.0.1:9/v1", healthRetryMs: 0 });
    try {
      const hardware = await engine.hardware();
      assert.ok(isRemoteHardware(hardware));
      assert.deepEqual(hardware, { kind: "remote", server: "http://127.0.0.1:9" });
      assert.equal(engine.inFlight, 0);
    } finally {
      await engine.stop();
    }
  });

  it("the report names the server and the models it serves, and says this machine's hardware chooses nothing", () => {
    const md = remoteHardwareMarkdown({
      server: "http://gpu-box:8080",
      models: { completion: "qwen|coder.gguf", chat: null },
    });
    assert.match(md, /run on \*\*http:\/\/gpu-box:8080\*\*/);
    assert.match(md, /\| Completion \| `qwen\\\|coder\.gguf` \|/);
    assert.match(md, /\| Chat \| not loaded yet \|/);
    assert.match(md, /does not choose the models/);
    assert.doesNotMatch(md, /VRAM|RAM free/);
  });
});
