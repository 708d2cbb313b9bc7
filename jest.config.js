/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // tsconfig.json sets isolatedModules, so ts-jest only transpiles: `tsc --noEmit` (npm test) does the type check.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Builds the processor archive once before the workers start, instead of once per worker at the same time.
  globalSetup: '<rootDir>/__tests__/support/global-setup.ts',
  setupFilesAfterEnv: ['<rootDir>/__tests__/support/setup.ts'],
  testTimeout: 60000,
};
