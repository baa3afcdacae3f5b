import * as assert from "node:assert/strict";
import { StopStringMatcher } from "../../../src/core/remote/stopStrings";

function run(stops: string[], pieces: string[]): { emitted: string[]; stopped: boolean; text: string } {
  const m = new StopStringMatcher(stops);
  const emitted: string[] = [];
  let stopped = false;
  for (const p of pieces) {
    const out = m.push(p);
    if (out.emit) emitted.push(out.emit);
    if (out.stopped) {
      stopped = true;
      break;
    }
  }
  if (!stopped) {
    const rest = m.flush();
    if (rest) emitted.push(rest);
  }
  return { emitted, stopped, text: emitted.join("") };
}

describe("stop strings on the client side", () => {
  const cases: { name: string; stops: string[]; pieces: string[]; text: string; stopped: boolean }[] = [
    { name: "no stop strings: everything passes", stops: [], pieces: ["ab", "c"], text: "abc", stopped: false },
    { name: "stop inside one piece", stops: ["fg"], pieces: ["bcdefgh"], text: "bcde", stopped: true },
    {
      name: "stop split across pieces",
      stops: ["fg"],
      pieces: ["b", "c", "d", "e", "f", "g", "h"],
      text: "bcde",
      stopped: true,
    },
    {
      name: "a partial match that does not complete is released",
      stops: ["fg"],
      pieces: ["ef", "x"],
      text: "efx",
      stopped: false,
    },
    {
      name: "a partial match held at the end is released by flush",
      stops: ["<|im_end|>"],
      pieces: ["ok <|im"],
      text: "ok <|im",
      stopped: false,
    },
    {
      name: "the earliest of several stops wins",
      stops: ["\n", "<|endoftext|>"],
      pieces: ["a<|endoftext|>b\n"],
      text: "a",
      stopped: true,
    },
    { name: "newline stop at the very start", stops: ["\n"], pieces: ["\nfoo"], text: "", stopped: true },
    { name: "overlapping prefixes", stops: ["aab"], pieces: ["a", "a", "a", "b", "c"], text: "a", stopped: true },
  ];
  for (const c of cases)
    it(c.name, () => {
      const out = run(c.stops, c.pieces);
      assert.equal(out.text, c.text);
      assert.equal(out.stopped, c.stopped);
    });

  it("never emits the start of a stop string that later completes", () => {
    const out = run(["<|file_sep|>"], ["x <", "|file", "_sep|> y"]);
    assert.deepEqual(out.emitted, ["x "]);
    assert.equal(out.stopped, true);
  });

  it("emits everything safe as soon as it is safe", () => {
    const m = new StopStringMatcher(["END"]);
    assert.deepEqual(m.push("abcE"), { emit: "abc", stopped: false });
    assert.deepEqual(m.push("x"), { emit: "Ex", stopped: false });
  });
});
