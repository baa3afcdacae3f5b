// Types for scripts/tools/vsix.mjs (used by test/e2e/vsixContents.test.ts).
export declare const VSIX_BUDGET_BYTES: number;
export declare const TARGET_BINARY_PACKAGES: Record<string, string[]>;
export declare function currentTarget(): string | undefined;
export declare function defaultVsixPath(repoRoot: string, target: string, name: string, version: string): string;
export interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
}
export declare function listZip(file: string): ZipEntry[];
export interface VsixCheck {
  rule: string;
  ok: boolean;
  detail?: string;
}
export declare function checkVsix(
  entries: { name: string }[],
  sizeBytes: number,
  target: string,
  options?: { requireBinaries?: boolean },
): VsixCheck[];
