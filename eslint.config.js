// ESLint with typescript-eslint, as Hono does; Prettier owns formatting.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.wrangler/',
      'dist/',
      'client/dist/',
      'resource/dist/',
      'public/docs/vendor/',
      'public/pages/',
      '.ci/out/',
      'worker-configuration.d.ts',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  // The worker's Hono is src/http/router.ts's (one router, no fallback): `hono`'s is for tests.
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'hono',
              importNames: ['Hono'],
              message: "Use src/http/router.ts's Hono.",
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  // Only the logger writes to the console; scripts and tests print freely.
  {
    files: [
      'src/log.ts',
      'scripts/**',
      'test/**',
      'bench/**',
      '.ci/**',
      'client/*.mjs',
      'client/test/**',
      'resource/*.mjs',
    ],
    rules: { 'no-console': 'off' },
  },
)
