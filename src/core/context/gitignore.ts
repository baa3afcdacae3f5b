/** A folder's .gitignore as a filter for the chat's file picker (the `ignore` package: git's own rules). */
import ignore from "ignore";

/** True when `relativePath` (forward slashes, relative to the folder) is ignored by the rules. */
export function gitignoreFilter(gitignoreText: string): (relativePath: string) => boolean {
  const rules = ignore().add(gitignoreText);
  return (relativePath) => relativePath !== "" && !relativePath.startsWith("..") && rules.ignores(relativePath);
}
