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
    // Type-aware rules: the mistakes a type checker alone lets through. On the shipped code only,
    // with the build's program (src): the whole project's program loads every client SDK the
    // tests use (30 s and 2 GiB idle, minutes on a busy machine; 18 s and 1 GiB this way).
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.build.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { requireDefaultForNonUnion: false }],
      '@typescript-eslint/no-for-in-array': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/docker/**'],
    rules: { 'no-restricted-syntax': ['error', ...RAW_ENGINE_CALL_SELECTORS] },
  },
  { files: ['scripts/**', 'bench/**', 'test/**'], rules: { 'no-console': 'off' } },
);
