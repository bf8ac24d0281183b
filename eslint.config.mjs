// ESLint (flat config) for the console, the supervisor view and the shared helper: plain ES
// modules in the browser, no build step. Run by `make lint` with the TypeScript check.
import js from "@eslint/js";
import globals from "globals";

export default [
  // only the project's own sources: never the virtual environment, node_modules or build output
  { ignores: [".venv/**", "node_modules/**", "var/**", "build/**", "dist/**", "server/assets/**", "test-artifacts/**"] },
  {
    files: ["web_client/agent/**/*.js", "web_client/shared/**/*.js", "web_client/supervisor/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      eqeqeq: ["error", "always"],
      "prefer-const": "error",
      "no-var": "error",
    },
  },
];
