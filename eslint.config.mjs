// Lint rules for the whole workspace: type-aware TypeScript rules, and the dependency arrows of
// docs/architecture.md enforced by Nx project tags. The pure core (domain, planner) may not
// reach the outside world: no AWS SDK and no Node.js built-ins.
import nx from "@nx/eslint-plugin"
import prettier from "eslint-config-prettier"
import tseslint from "typescript-eslint"

const nodeBuiltins = [
  "assert",
  "buffer",
  "child_process",
  "crypto",
  "dns",
  "events",
  "fs",
  "fs/promises",
  "http",
  "https",
  "net",
  "os",
  "path",
  "process",
  "stream",
  "timers",
  "url",
  "util",
  "worker_threads",
  "zlib",
]

/** Which layers a layer may import, by the `layer:*` tag each project carries in its package.json. */
const layers = {
  domain: [],
  planner: ["domain"],
  ports: ["domain"],
  strategies: ["domain", "ports"],
  "event-log": ["domain", "ports"],
  aws: ["domain", "ports"],
  simulator: ["domain", "ports", "planner"],
  executor: ["domain", "ports", "planner", "strategies"],
  api: ["domain", "ports", "planner", "strategies", "executor", "event-log", "aws", "simulator"],
  app: ["domain", "ports", "planner", "strategies", "executor", "event-log", "aws", "simulator", "api"],
  tool: [
    "domain",
    "ports",
    "planner",
    "strategies",
    "executor",
    "event-log",
    "aws",
    "simulator",
    "api",
    "app",
  ],
}

/** Tests may also use the simulator and the event log as test beds, whatever their layer. */
const testSupport = ["simulator", "event-log", "strategies"]

const boundaries = (extra) => [
  "error",
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: Object.entries(layers).map(([layer, allowed]) => ({
      sourceTag: `layer:${layer}`,
      onlyDependOnLibsWithTags: [...new Set([layer, ...allowed, ...extra])].map((a) => `layer:${a}`),
      ...(layer === "domain" || layer === "planner"
        ? { bannedExternalImports: ["@aws-sdk/*", "aws-sdk"] }
        : {}),
    })),
  },
]

const testFiles = ["**/*.test.ts", "**/test/**/*.ts"]

export default [
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/out-tsc/**",
      "reports/**",
      ".nx/**",
      "tools/node/**",
      "**/*.d.ts",
      "**/vitest.config.ts",
    ],
  },
  ...nx.configs["flat/base"],
  ...nx.configs["flat/typescript"],
  {
    files: ["**/*.ts", "**/*.mts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // lint-fixture.ts never exists on disk: tools/workspace-checks lints it from memory.
        projectService: { allowDefaultProject: ["packages/*/src/lint-fixture.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@nx/enforce-module-boundaries": boundaries([]),
    },
  },
  {
    files: ["packages/domain/src/**/*.ts", "packages/planner/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*"],
              message: "The pure core may not use Node.js built-ins: pass what it needs in as data.",
            },
            { group: ["@aws-sdk/*"], message: "The pure core may not call AWS: go through packages/ports." },
          ],
          paths: nodeBuiltins.map((name) => ({
            name,
            message: "The pure core may not use Node.js built-ins.",
          })),
        },
      ],
    },
  },
  { files: testFiles, rules: { "@nx/enforce-module-boundaries": boundaries(testSupport) } },
  prettier,
]
