// Lint rules for taskmem: typescript-eslint's recommended type-aware rules, with the few project conventions below.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'types/', 'bench/out/', 'taskmem-demo/', '.taskmem-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Unused arguments named with a leading underscore are deliberate (interface conformance).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A floating promise loses its error: every promise is awaited, returned, or explicitly voided.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async method that does not await is how a synchronous implementation meets a Promise-returning interface.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Tests read message contents the stand-in server received, typed loosely by the openai library.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'off', '@typescript-eslint/restrict-template-expressions': 'off' },
  },
  {
    // The double mirrors rclnodejs, whose const enums are plain numbers at run time.
    files: ['test/support/rclnodejs-double/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-enum-comparison': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
