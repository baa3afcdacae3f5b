import * as assert from "node:assert/strict";
import { acceptableLicenceIds, licenceOffers } from "../../../src/core/models/licenceOffer";
import { planSlots, type SlotInput } from "../../../src/core/models/modelPlan";
import type { HardwareProfile } from "../../../src/core/models/hardwareProfile";
import { cpuOnly, nvidia } from "./hardwareProfiles";

const auto = (contextSize: number): SlotInput => ({ setting: "auto", contextSize });
const inputs = { completion: auto(4096), chat: auto(8192) };

function offersFor(hw: HardwareProfile, accepted: string[], slots = inputs) {
  const plan = (licences: string[]) => planSlots(hw, "balanced", slots, { sequences: 2, acceptedLicences: licences });
  const more = acceptableLicenceIds(accepted);
  return {
    current: plan(accepted),
    offers: licenceOffers(plan(accepted), plan([...accepted, ...more]), accepted),
  };
}

describe("licence offers (auto's pick that waits on a licence)", () => {
  it("lists the licences auto's candidates can need, minus accepted ones", () => {
    // The Qwen2.5-Coder 3B models are under qwen-research; the other auto candidates are Apache-2.0.
    assert.deepEqual(acceptableLicenceIds([]), ["qwen-research"]);
    assert.deepEqual(acceptableLicenceIds(["qwen-research"]), []);
  });

  it("names the 3B pair a CPU-only 16 GB machine gets once qwen-research is accepted, with how to accept", () => {
    const { current, offers } = offersFor(cpuOnly(16).profile, []);
    assert.equal(current.completion?.model?.id, "qwen2.5-coder-1.5b");
    assert.equal(current.chat?.model?.id, "qwen2.5-coder-1.5b-instruct");
    assert.deepEqual(
      offers.map((o) => [o.slot, o.modelId, o.licenceId]),
      [
        ["completion", "qwen2.5-coder-3b", "qwen-research"],
        ["chat", "qwen2.5-coder-3b-instruct", "qwen-research"],
      ],
    );
    const chat = offers[1];
    assert.ok(chat.quant, "the unlocked pick fits");
    assert.equal(chat.url, "https://huggingface.co/Qwen/Qwen2.5-Coder-3B-Instruct");
    assert.match(chat.note ?? "", /qwen-research/);
    assert.match(chat.message, /Auto would pick .*3B.* for chat .*"qwen-research".*localCode\.acceptedLicences/);
  });

  it("offers nothing once the licence is accepted, and auto then picks the 3B", () => {
    const { current, offers } = offersFor(cpuOnly(16).profile, ["qwen-research"]);
    assert.deepEqual(offers, []);
    assert.equal(current.chat?.model?.id, "qwen2.5-coder-3b-instruct");
  });

  it("offers nothing where accepting would not change the pick (a 24 GB GPU gets the 7B pair either way)", () => {
    assert.deepEqual(offersFor(nvidia(24, 32).profile, []).offers, []);
  });

  it("offers nothing for a slot set explicitly: that choice is the user's", () => {
    const slots = { completion: { setting: "qwen2.5-coder-1.5b", contextSize: 4096 }, chat: auto(8192) };
    const { offers } = offersFor(cpuOnly(16).profile, [], slots);
    assert.deepEqual(
      offers.map((o) => o.slot),
      ["chat"],
    );
  });
});
