import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Raw Engine access outside src/docker: `engine.call('action', (d) => d.something())` hands a
 * dockerode client to the caller. Typed functions in src/docker (with a deadline and the caller's
 * AbortSignal) are the only door; exported so test/unit/layering.test.ts can check the selectors.
 */
export const RAW_ENGINE_CALL_SELECTORS = [
  {
    selector:
      "CallExpression[callee.property.name='call'][arguments.1.type=/^(ArrowFunctionExpression|FunctionExpression)$/]",
    message:
      'Raw Engine call outside src/docker: add a typed function to src/docker (deadline, AbortSignal, error mapping) and call that.',
  },
  {
    selector: "MemberExpression[property.name='streamingClient']",
    message: 'Raw dockerode client outside src/docker: add a typed streaming function to src/docker and call that.',
  },
];

/**
 * Files that still make raw Engine calls while parallel work moves them behind src/docker
 * (issue 12). Temporary: empty this list at merge (see also .dependency-cruiser-known-violations.json).
 */
export const KNOWN_RAW_ENGINE_CALLS = [];

export default tseslint.config(
  // test/fixtures/layering/typeAware breaks the type-aware rules on purpose (test/unit/layering.test.ts).
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'test/fixtures/layering/typeAware/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // Type-aware rules: the mistakes a type checker alone lets through.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { requireDefaultForNonUnion: false }],
      '@typescript-eslint/no-for-in-array': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/docker/**', ...KNOWN_RAW_ENGINE_CALLS],
    rules: { 'no-restricted-syntax': ['error', ...RAW_ENGINE_CALL_SELECTORS] },
  },
  { files: ['scripts/**', 'bench/**', 'test/**'], rules: { 'no-console': 'off' } },
);
