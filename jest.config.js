/** Unit tests run in-process with fakes; integration tests start the sandbox on 127.0.0.1. */
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@runner-fleet/core/store$': '<rootDir>/core/src/runner-store.ts',
    '^@runner-fleet/lambda/config$': '<rootDir>/lambda/src/config.ts',
    '^@runner-fleet/lambda/github-auth$': '<rootDir>/lambda/src/adapters/github-auth.ts',
    '^@runner-fleet/sandbox/dynamodb$': '<rootDir>/sandbox/src/aws/dynamodb-server.ts',
    '^@runner-fleet/(core|lambda|sandbox)$': '<rootDir>/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{core,lambda,cli,sandbox,runner}/test/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/sandbox/test/integration/**/*.it.ts'] },
  ],
};
