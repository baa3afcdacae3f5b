/**
 * The names a source text declares (functions, classes, Python defs, Go funcs, Rust fns), found
 * with line patterns, not a parser: they only steer the summary prompt. Map-reduce keeps them
 * between parts: the final answer over the part summaries sees the file's names even when a
 * small model's part summaries dropped them (SmolLM2-135M did: docs/real-models.md).
 */

/** One pattern per declaration form; group `name` is the identifier, group `exported` marks exports. */
const PATTERNS: readonly RegExp[] = [
  /^[ \t]*(?<exported>export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+(?<name>[A-Za-z_$][\w$]*)/gm,
  /^[ \t]*(?<exported>export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+(?<name>[A-Za-z_$][\w$]*)/gm,
  /^(?<exported>export\s+)(?:const|let)\s+(?<name>[A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::[^=]*)?=>/gm,
  /^(?:async\s+)?def\s+(?<name>[A-Za-z_]\w*)/gm,
  /^func\s+(?:\([^)]*\)\s*)?(?<name>[A-Za-z_]\w*)/gm,
  /^[ \t]*(?<exported>pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(?<name>[A-Za-z_]\w*)/gm,
];

/**
 * Declared names in source order, exported (public) ones first, without repeats: at most `max`
 * names and about `maxChars` characters (they cost prompt tokens in every final summary).
 */
export function declaredNames(text: string, max = 8, maxChars = 100): string[] {
  // In a language with no export keyword (Python, Go, a script) every top-level name counts as public.
  const hasVisibility = /^[ \t]*(?:export|pub)\b/m.test(text);
  const found: { name: string; at: number; exported: boolean }[] = [];
  for (const pattern of PATTERNS)
    for (const m of text.matchAll(pattern)) {
      const groups = m.groups ?? {};
      found.push({
        name: groups.name!,
        at: m.index,
        exported: groups.exported !== undefined || !hasVisibility,
      });
    }
  found.sort((a, b) => Number(b.exported) - Number(a.exported) || a.at - b.at);
  const names: string[] = [];
  let chars = 0;
  for (const name of new Set(found.map((f) => f.name))) {
    if (names.length === max || chars + name.length > maxChars) break;
    names.push(name);
    chars += name.length + 2;
  }
  return names;
}
