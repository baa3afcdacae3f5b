import * as assert from "node:assert/strict";
import { loggerFrom } from "../../../src/core/util/logger";

describe("logger", () => {
  it("loggerFrom hands each level's lines to the one function with their level", () => {
    const lines: string[] = [];
    const log = loggerFrom((level, message) => lines.push(`${level} ${message}`));
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
    assert.deepEqual(lines, ["error e", "warn w", "info i", "debug d"]);
  });
});
