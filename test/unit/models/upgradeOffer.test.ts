import * as assert from "node:assert/strict";
import { offerKey, upgradeOffer, type UpgradeInput } from "../../../src/core/models/upgradeOffer";

const base: UpgradeInput = {
  slot: "chat",
  setting: "auto",
  using: { id: "qwen2.5-coder-1.5b-instruct", quant: "Q8_0" },
  better: {
    id: "qwen2.5-coder-7b-instruct",
    displayName: "Qwen2.5-Coder 7B Instruct",
    quant: "Q4_K_S",
    sizeBytes: 4.46e9,
  },
  dismissed: [],
};

describe("upgrade offer", () => {
  it("offers auto's better pick with its download size while the downloaded model keeps working", () => {
    const offer = upgradeOffer(base);
    assert.ok(offer);
    assert.equal(offer.key, "chat:qwen2.5-coder-7b-instruct:Q4_K_S");
    assert.match(offer.message, /better chat model: Qwen2\.5-Coder 7B Instruct Q4_K_S \(4\.46 GB download\)/);
    assert.match(offer.message, /Now using qwen2\.5-coder-1\.5b-instruct Q8_0/);
    assert.match(offer.message, /Nothing changes until you do/);
  });

  it("says nothing for an explicit setting, when nothing works yet, when the pick is in use, or once declined", () => {
    assert.equal(upgradeOffer({ ...base, setting: "qwen2.5-coder-1.5b-instruct" }), null);
    assert.equal(upgradeOffer({ ...base, using: null }), null);
    assert.equal(upgradeOffer({ ...base, better: null }), null);
    assert.equal(upgradeOffer({ ...base, using: { id: "qwen2.5-coder-7b-instruct", quant: "Q4_K_S" } }), null);
    assert.equal(upgradeOffer({ ...base, dismissed: [offerKey("chat", "qwen2.5-coder-7b-instruct", "Q4_K_S")] }), null);
    // Declining one offer does not silence a different, later one.
    assert.ok(upgradeOffer({ ...base, dismissed: [offerKey("chat", "qwen2.5-coder-7b-instruct", "Q4_K_M")] }));
    // " AUTO " is still auto.
    assert.ok(upgradeOffer({ ...base, setting: " AUTO " }));
  });
});
