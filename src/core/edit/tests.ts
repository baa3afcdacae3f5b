/**
 * Generate Tests: the prompt for unit tests of one symbol, in the project's test style when an
 * existing test file can be seen, and the name of the new test file next to the source.
 */
import { fenceFor } from "../chat/promptFormat";
import type { ChatMessage } from "../protocol/workerProtocol";
import { EditTooLongError, answerTokensFor, type CountTokens } from "./prompt";

export const TESTS_SYSTEM_PROMPT =
  "You write unit tests. Reply with one complete test file in one fenced code block and nothing else: imports, then the tests. Follow the style, framework and assertion library of the example test file when one is given.";

export interface TestsPromptInput {
  /** The code of the symbol to test. */
  code: string;
  /** Name of the symbol ("function add"). */
  label: string;
  /** Workspace-relative path of the source file, and of the new test file. */
  path: string;
  testPath: string;
  languageId: string;
  /** An existing test file of the project (its style is followed); null when none was found. */
  example: { path: string; text: string } | null;
}

const block = (language: string, text: string): string => {
  const fence = fenceFor(text);
  return `${fence}${language}\n${text}\n${fence}`;
};

/** The lines of an example kept in the prompt: enough to show imports and one or two tests. */
const EXAMPLE_LINES = 60;

export function testsUserMessage(input: TestsPromptInput, withExample: boolean): string {
  const parts = [
    `Source file: ${input.path} (${input.languageId}). The tests go to ${input.testPath} (import from the source file relative to it).`,
  ];
  if (withExample && input.example) {
    const text = input.example.text.split(/\r?\n/).slice(0, EXAMPLE_LINES).join("\n");
    parts.push(
      `An existing test file of this project, ${input.example.path} (follow its style):\n${block(input.languageId, text)}`,
    );
  }
  parts.push(`Write unit tests for ${input.label}:\n${block(input.languageId, input.code)}`);
  return parts.join("\n\n");
}

/** Messages and answer budget; drops the example before refusing a symbol too long for the window. */
export async function planTestsPrompt(
  input: TestsPromptInput,
  options: { contextSize: number; count: CountTokens; signal?: AbortSignal },
): Promise<{ messages: ChatMessage[]; maxTokens: number; withExample: boolean }> {
  const codeTokens = await options.count(input.code, options.signal);
  // Tests are usually longer than the code they test.
  const maxTokens = Math.max(512, answerTokensFor(codeTokens * 2));
  for (const withExample of input.example ? [true, false] : [false]) {
    const messages: ChatMessage[] = [
      { role: "system", content: TESTS_SYSTEM_PROMPT },
      { role: "user", content: testsUserMessage(input, withExample) },
    ];
    let used = 64;
    for (const m of messages) used += await options.count(m.content, options.signal);
    if (used + maxTokens <= options.contextSize) return { messages, maxTokens, withExample };
  }
  throw new EditTooLongError(
    `${input.label} is too long to write tests for with the chat model's context window (${options.contextSize} tokens). Select a smaller part, or raise localCode.chat.contextSize.`,
  );
}

/**
 * The new test file's path next to `path`: the language's convention (Python test_x.py, Go
 * x_test.go), else x.test.ext, or x.spec.ext when the project's tests are named so.
 */
export function testFileFor(path: string, examplePath: string | null): string {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf(".");
  const base = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  if (ext === ".py") return `${dir}test_${base}.py`;
  if (ext === ".go") return `${dir}${base}_test.go`;
  const kind = examplePath && /\.spec\.[^./]+$/.test(examplePath) ? "spec" : "test";
  return `${dir}${base}.${kind}${ext}`;
}

/** Glob for the project's existing test files of a file's extension (for the style example). */
export function testFileGlob(path: string): string | null {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1];
  if (!ext) return null;
  if (ext === "py") return "**/test_*.py";
  if (ext === "go") return "**/*_test.go";
  return `**/*.{test,spec}.${ext}`;
}
