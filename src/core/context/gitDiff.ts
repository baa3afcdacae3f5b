/** Uncommitted changes (a unified git diff) as chat context, without the files no prompt may read. */

/**
 * Drops each file's section of a `git diff` whose path (either side) is excluded, and says which
 * were left out, so a changed `.env` never reaches a prompt through the diff.
 */
export function filterDiff(diff: string, isExcluded: (path: string) => boolean): { text: string; omitted: string[] } {
  const sections = diff.split(/^(?=diff --git )/m);
  const kept: string[] = [];
  const omitted: string[] = [];
  for (const section of sections) {
    const header = /^diff --git a\/(.+?) b\/(.+)$/m.exec(section);
    if (header && (isExcluded(header[1]) || isExcluded(header[2]))) omitted.push(header[2]);
    else if (section.trim() !== "") kept.push(section);
  }
  return { text: kept.join(""), omitted };
}
