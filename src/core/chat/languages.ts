/** Code-fence language tags: cleaning untrusted tags, and mapping them to VS Code language ids. */

/** The fence's first word, restricted to characters safe in a class name; null when none. */
export function normalizeFenceLanguage(info: string): string | null {
  const word = info.trim().split(/\s+/)[0] ?? "";
  const cleaned = word
    .replace(/^\{?\.?/, "")
    .replace(/[^A-Za-z0-9_+#.-]/g, "")
    .slice(0, 32)
    .toLowerCase();
  return cleaned.length > 0 ? cleaned : null;
}

const LANGUAGE_IDS: Record<string, string> = {
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascriptreact",
  ts: "typescript",
  mts: "typescript",
  cts: "typescript",
  tsx: "typescriptreact",
  py: "python",
  python3: "python",
  rb: "ruby",
  rs: "rust",
  sh: "shellscript",
  bash: "shellscript",
  zsh: "shellscript",
  shell: "shellscript",
  console: "shellscript",
  ps1: "powershell",
  pwsh: "powershell",
  yml: "yaml",
  md: "markdown",
  "c++": "cpp",
  cc: "cpp",
  hpp: "cpp",
  h: "c",
  cs: "csharp",
  "c#": "csharp",
  kt: "kotlin",
  golang: "go",
  html: "html",
  xml: "xml",
  svg: "xml",
  json5: "jsonc",
  dockerfile: "dockerfile",
  docker: "dockerfile",
  text: "plaintext",
  txt: "plaintext",
  plain: "plaintext",
  patch: "diff",
};

/** The VS Code language id for a fence tag (for "New File"); plaintext when unknown or absent. */
export function languageIdForFence(language: string | null | undefined): string {
  if (!language) {
    return "plaintext";
  }
  const tag = language.toLowerCase();
  return LANGUAGE_IDS[tag] ?? tag;
}
