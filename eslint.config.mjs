// ESLint (flat config): typescript-eslint's non-type-checked recommended rules, kept modest, and
// the layering as import rules (README "How it is built"). Formatting is Prettier's (eslint-config-prettier
// turns off the rules it owns); `npm run lint` runs both.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

/** An import rule that names the layer it protects. */
const forbid = (regex, message) => ({ regex, message });

const NO_VSCODE = forbid("^vscode$", "No `vscode` here: VS Code glue lives in src/vscode (src/core stays pure).");
const NO_LLAMA = forbid("^node-llama-cpp", "node-llama-cpp is loaded only in src/worker (the model worker process).");
/** Relative imports into other src/ layers, e.g. "../../client/workerClient" from src/core. */
const forbidDirs = (dirs, message) => forbid(`^\\.{1,2}/(\\.\\./)*(${dirs.join("|")})(/|$)`, message);
const NO_NODE = forbid("^node:", "No Node built-ins here (it runs in the webview too).");
/** no-restricted-imports does not see import() or require(): the same rules for those. */
const dynamic = (patterns) =>
  patterns.flatMap(({ regex, message }) => [
    { selector: `ImportExpression[source.value=/${regex.replace(/\//g, "\\/")}/]`, message },
    { selector: `CallExpression[callee.name="require"][arguments.0.value=/${regex.replace(/\//g, "\\/")}/]`, message },
  ]);
const layer = (files, patterns) => ({
  files: Array.isArray(files) ? files : [files],
  rules: { "no-restricted-imports": ["error", { patterns }], "no-restricted-syntax": ["error", ...dynamic(patterns)] },
});

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "out/**",
      "node_modules/**",
      ".tools/**",
      ".cache/**",
      "test-results/**",
      "bench-results/**",
      "test/e2e/fixtures/**",
      "**/*.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (callbacks that must take a parameter).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Tests and fakes use `as never` / `!` where a full object is beside the point.
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-explicit-any": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
      // A `let` read by a callback before its one assignment (timers) stays a `let`.
      "prefer-const": ["error", { destructuring: "all", ignoreReadBeforeAssign: true }],
      // The sanitizers and title cleaning match control characters on purpose.
      "no-control-regex": "off",
      // Style only (an escaped "/" in a character class); not worth churn in every branch.
      "no-useless-escape": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
        require: "readonly",
        module: "writable",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        Buffer: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  // ---- the layering (one block per layer: a later block's rule options replace an earlier one's)
  layer("src/core/**/*.ts", [
    NO_VSCODE,
    NO_LLAMA,
    forbidDirs(
      ["client", "vscode", "worker", "cli"],
      "src/core imports nothing from src/client, src/vscode, src/worker or src/cli.",
    ),
  ]),
  // The worker reads GGUF headers with src/client/ggufFile (no VS Code, no engine clients in it).
  layer("src/worker/**/*.ts", [
    NO_VSCODE,
    forbidDirs(["vscode", "cli"], "The worker process depends on src/core (and src/client's file readers) only."),
  ]),
  layer("src/client/**/*.ts", [
    NO_VSCODE,
    NO_LLAMA,
    forbidDirs(
      ["vscode", "worker", "cli"],
      "src/client (engines, downloads) is shared by the extension and the CLI: no VS Code, no worker internals.",
    ),
  ]),
  layer("src/cli/**/*.ts", [
    NO_VSCODE,
    NO_LLAMA,
    forbidDirs(["vscode", "worker"], "The CLI reaches the worker through src/client."),
  ]),
  layer("src/vscode/**/*.ts", [
    NO_LLAMA,
    forbidDirs(["worker", "cli"], "The extension reaches the worker through src/client."),
  ]),
  layer("src/vscode/chat/**/*.ts", [
    forbid("^(?!vscode$|\\.)", "The chat adapter imports only vscode and project modules."),
    forbidDirs(["worker", "cli"], "The extension reaches the worker through src/client."),
  ]),
  // The chat view model and the webview protocol are bundled into the webview as well.
  layer(
    ["src/core/chat/**/*.ts", "src/core/protocol/webviewProtocol.ts"],
    [
      NO_VSCODE,
      NO_LLAMA,
      NO_NODE,
      forbidDirs(
        ["client", "vscode", "worker", "cli"],
        "src/core imports nothing from src/client, src/vscode, src/worker or src/cli.",
      ),
    ],
  ),
  // The webview runs in a browser: the webview protocol and the pure chat view model from src/core, zod, its own files.
  layer("media/**/*.ts", [
    NO_VSCODE,
    NO_LLAMA,
    NO_NODE,
    forbid(
      "(^|/)src/(client|vscode|worker|cli)(/|$)",
      "The webview talks to the extension only through the webview protocol.",
    ),
    forbid(
      "(^|/)src/core/(?!protocol/webviewProtocol$|chat/)",
      "The webview imports only src/core/protocol/webviewProtocol and the pure chat view model (src/core/chat).",
    ),
  ]),
  // Tests compare with node-llama-cpp directly only where that is the point (test/engine, test/bench).
  layer(["test/unit/**/*.ts", "test/vscode/**/*.ts", "test/e2e/**/*.ts", "test/remote/**/*.ts"], [NO_LLAMA]),
  prettier,
);
