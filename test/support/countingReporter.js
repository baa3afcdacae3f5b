// Mocha's spec reporter that also writes its pass/fail counts to $MOCHA_COUNTS_FILE, so the
// top-level test script can print one "N passed, N failed" line for every suite together.
"use strict";
const fs = require("node:fs");
const Mocha = require("mocha");

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.MOCHA_COUNTS_FILE;
      if (!file) return;
      const { passes, failures, pending } = runner.stats;
      fs.writeFileSync(file, JSON.stringify({ passes, failures, pending }));
    });
  }
}

module.exports = CountingReporter;
