import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { autoTableMarkdown, TABLE_BEGIN, TABLE_END } from "./autoTable";

/** out/test/unit/models -> the repository root. */
const DOC = path.resolve(__dirname, "../../../../docs/model-selection.md");

describe("docs/model-selection.md: the table of auto's picks", () => {
  it("is the table the code computes (LCA_UPDATE_DOCS=1 rewrites it)", () => {
    const doc = fs.readFileSync(DOC, "utf8");
    const begin = doc.indexOf(TABLE_BEGIN);
    const end = doc.indexOf(TABLE_END);
    assert.ok(begin >= 0 && end > begin, `${DOC} lacks the ${TABLE_BEGIN} ... ${TABLE_END} markers`);
    const table = `${TABLE_BEGIN}\n\n${autoTableMarkdown("balanced")}\n\n${TABLE_END}`;
    const current = doc.slice(begin, end + TABLE_END.length);
    if (process.env.LCA_UPDATE_DOCS === "1" && current !== table)
      fs.writeFileSync(DOC, doc.slice(0, begin) + table + doc.slice(end + TABLE_END.length));
    else
      assert.equal(current, table, "docs/model-selection.md is out of date: run the unit tier with LCA_UPDATE_DOCS=1");
  });
});
