/**
 * Stale files: the document changed after the range was read (while the model answered, or since
 * a chat answer). Finds where the range's lines are now, or says why they cannot be found.
 */
export type Relocation = { ok: true; startLine: number; moved: boolean } | { ok: false; reason: string };

const same = (a: readonly string[], b: readonly string[], at: number, norm: (s: string) => string): boolean =>
  a.every((line, i) => b[at + i] !== undefined && norm(b[at + i]!) === norm(line));

/**
 * Where `range` (the lines as they were) now starts in `document`: at `expectedStart` if still
 * there; else the occurrence nearest to it (exact lines, then ignoring trailing whitespace).
 */
export function relocateRange(
  range: readonly string[],
  expectedStart: number,
  document: readonly string[],
): Relocation {
  if (range.length === 0) return { ok: true, startLine: Math.min(expectedStart, document.length), moved: false };
  for (const norm of [(s: string) => s, (s: string) => s.trimEnd()]) {
    if (same(range, document, expectedStart, norm)) return { ok: true, startLine: expectedStart, moved: false };
    const hits: number[] = [];
    for (let at = 0; at + range.length <= document.length; at++) if (same(range, document, at, norm)) hits.push(at);
    if (hits.length > 0) {
      const nearest = hits.reduce((a, b) => (Math.abs(b - expectedStart) < Math.abs(a - expectedStart) ? b : a));
      return { ok: true, startLine: nearest, moved: true };
    }
  }
  const span =
    range.length === 1 ? `line ${expectedStart + 1}` : `lines ${expectedStart + 1}-${expectedStart + range.length}`;
  return {
    ok: false,
    reason: `The code being edited changed since the request (${span} no longer hold it), so the proposal cannot be placed. Run the edit again on the current code.`,
  };
}
