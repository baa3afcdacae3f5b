/**
 * The document as it will be after Enter at the end of a line: what the after-Enter warm-up
 * evaluates ahead (warmUp.ts). The new line gets the current line's indentation, one level more
 * after a block opener (`{`, `(`, `:`, `=>`, `do`), as VS Code's Enter indents in most languages.
 * A wrong guess costs only the few indentation tokens at the next request, not the prompt.
 */
import { endsWithBlockOpener, syntaxFor } from "../postprocessing/syntax";
import { leadingWhitespace, lineAfterCursor, lineBeforeCursor, splitDocument } from "../text";
import type { DocumentSnapshot } from "../types";

/** Null unless the cursor ends a non-blank line (nothing but white space right of it). */
export function afterEnter(doc: DocumentSnapshot): (DocumentSnapshot & { prefix: string; suffix: string }) | null {
  const { prefix, suffix } = splitDocument(doc);
  const line = lineBeforeCursor(prefix);
  if (line.trim() === "" || lineAfterCursor(suffix).trim() !== "") return null;
  const base = leadingWhitespace(line);
  const unit = doc.indent.useTabs ? "\t" : " ".repeat(doc.indent.size);
  const indent = endsWithBlockOpener(line.trimEnd(), syntaxFor(doc.languageId)) ? base + unit : base;
  const { uri, path, languageId, eol } = doc;
  return { uri, path, languageId, eol, indent: doc.indent, prefix: prefix + eol + indent, suffix };
}
