import * as assert from "node:assert/strict";
import { diffReviewLines, EditReview } from "../../../src/core/edit/review";

const original = ["function add(a, b) {", "  return a + b;", "}", "", "function sub(a, b) {", "  return a - b;", "}"];
const proposed = [
  "function add(a, b) {",
  "  // Adds.",
  "  return a + b;",
  "}",
  "",
  "function sub(a, b) {",
  "  return b - a;",
  "}",
];

const shown = (review: EditReview) =>
  review
    .lines()
    .map(
      (l) =>
        `${l.kind === "same" ? " " : l.kind === "added" ? "+" : l.kind === "removed" ? "-" : "?"}${l.hunk ?? ""}${l.text}`,
    );

describe("edit review (diff and hunks)", () => {
  it("merges original and proposal into hunks, removed lines before added ones", () => {
    const review = new EditReview(original);
    review.propose(proposed, true);
    assert.deepEqual(shown(review), [
      " function add(a, b) {",
      "+0  // Adds.",
      "   return a + b;",
      " }",
      " ",
      " function sub(a, b) {",
      "-1  return a - b;",
      "+1  return b - a;",
      " }",
    ]);
    assert.deepEqual(review.hunks(), [
      { id: 0, startLine: 1, endLine: 1, removed: 0, added: 1 },
      { id: 1, startLine: 6, endLine: 7, removed: 1, added: 1 },
    ]);
  });

  it("accepting one hunk and rejecting the other gives exactly that text", () => {
    const review = new EditReview(original);
    review.propose(proposed, true);
    assert.equal(review.accept(0), true);
    assert.equal(review.resolved, false);
    assert.equal(review.reject(1), true);
    assert.equal(review.resolved, true);
    assert.deepEqual(review.result(), [
      "function add(a, b) {",
      "  // Adds.",
      "  return a + b;",
      "}",
      "",
      "function sub(a, b) {",
      "  return a - b;",
      "}",
    ]);
    assert.equal(review.text(), review.result().join("\n"));
    assert.equal(review.accept(0), false, "a decided hunk cannot be decided again");
  });

  it("accept all gives the proposal, reject all the original", () => {
    const a = new EditReview(original);
    a.propose(proposed, true);
    a.acceptAll();
    assert.deepEqual(a.result(), proposed);
    const r = new EditReview(original);
    r.propose(proposed, true);
    r.rejectAll();
    assert.deepEqual(r.result(), original);
  });

  it("undecided hunks count as rejected in the result", () => {
    const review = new EditReview(original);
    review.propose(proposed, true);
    review.accept(1);
    assert.deepEqual(review.result(), [
      "function add(a, b) {",
      "  return a + b;",
      "}",
      "",
      "function sub(a, b) {",
      "  return b - a;",
      "}",
    ]);
  });

  it("while streaming, original lines past the proposal are unreached, not removed, and no decision is taken", () => {
    const lines = diffReviewLines(original, proposed.slice(0, 3), true);
    assert.deepEqual(
      lines.filter((l) => l.kind === "removed"),
      [],
    );
    assert.equal(lines.filter((l) => l.kind === "unreached").length, 5);
    // A new first line: added above the whole original, which is not reached yet.
    assert.deepEqual(
      diffReviewLines(["a();", "b();"], ["// new"], true).map((l) => l.kind),
      ["added", "unreached", "unreached"],
    );
    // A proposed line found further down: the lines skipped are removed.
    assert.deepEqual(
      diffReviewLines(["a();", "b();", "c();"], ["c();"], true).map((l) => `${l.kind}${l.hunk ?? ""}`),
      ["removed0", "removed0", "same"],
    );
    // A "}" does not match ahead.
    assert.deepEqual(
      diffReviewLines(["a();", "}"], ["}"], true).map((l) => l.kind),
      ["added", "unreached", "unreached"],
    );
    const review = new EditReview(original);
    review.propose(proposed.slice(0, 3), false);
    assert.equal(review.streaming, true);
    assert.equal(review.acceptAll(), false);
    review.propose(proposed, true);
    assert.equal(review.streaming, false);
    assert.throws(() => review.propose(proposed, true));
  });

  it("an empty final proposal removes every line as one hunk", () => {
    const review = new EditReview(["a", "b"]);
    review.propose([], true);
    assert.deepEqual(review.hunks(), [{ id: 0, startLine: 0, endLine: 1, removed: 2, added: 0 }]);
  });

  it("hunkNear finds the hunk on a line, else the next one, else the last", () => {
    const review = new EditReview(original);
    review.propose(proposed, true);
    assert.equal(review.hunkNear(7)!.id, 1);
    assert.equal(review.hunkNear(3)!.id, 1);
    assert.equal(review.hunkNear(0)!.id, 0);
    review.accept(1);
    assert.equal(review.hunkNear(8)!.id, 0);
  });
});
