/**
 * Turns text the user copied into an extra-context chunk (llama.vscode queues the region around a
 * yank too): where it came from an open document, the lines around it there, with that file's
 * path; otherwise (copied from a browser, a terminal) the copied lines themselves.
 */
import { chunkAround, type ContextChunk } from "./extraContextRing";

export interface OpenDocumentText {
  uri: string;
  path: string;
  text: string;
}

/** Clipboards beyond this are not code the user is about to type against. */
export const MAX_COPIED_CHARS = 100_000;

/**
 * `exclude` (localCode.context.exclude): text found in an excluded open document is never queued,
 * not even as bare copied lines (a key copied out of `.env` stays out of every prompt).
 */
export function copiedChunk(
  copied: string,
  documents: readonly OpenDocumentText[],
  size = 64,
  exclude?: (path: string) => boolean,
): ContextChunk | null {
  const needle = copied.replace(/\r\n/g, "\n");
  if (needle.trim().length === 0 || needle.length > MAX_COPIED_CHARS) return null;
  if (exclude && documents.some((doc) => exclude(doc.path) && doc.text.replace(/\r\n/g, "\n").includes(needle)))
    return null;
  for (const doc of documents) {
    const text = doc.text.replace(/\r\n/g, "\n");
    const at = text.indexOf(needle);
    if (at < 0) continue;
    const first = text.slice(0, at).split("\n").length - 1;
    const last = first + needle.split("\n").length - 1;
    const lines = text.split("\n");
    return {
      uri: doc.uri,
      path: doc.path,
      text: chunkAround(lines, Math.floor((first + last) / 2), size),
      source: "copy",
    };
  }
  const lines = needle.split("\n");
  return { uri: "clipboard:", path: "clipboard", text: lines.slice(0, size).join("\n"), source: "copy" };
}
