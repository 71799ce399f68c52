/** Unit tests run in-process with fakes; integration tests start the sandbox on 127.0.0.1. */
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@runner-fleet/core/store$': '<rootDir>/core/src/runner-store.ts',
    '^@runner-fleet/(core|lambda|sandbox)$': '<rootDir>/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
};

/**
 * Integration tests wait for simulated work (the sandbox's timers, child CLIs); on a loaded
 * machine that takes longer, so their limit is generous and scales with TEST_TIME_SCALE
 * (jest's default of 5 s is not a budget for them).
 */
const timeScale = Number(process.env.TEST_TIME_SCALE) > 0 ? Number(process.env.TEST_TIME_SCALE) : 1;

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{core,lambda,cli,sandbox,runner}/test/**/*.test.ts'] },
    { ...common, displayName: 'integration', testTimeout: 60_000 * timeScale, testMatch: ['<rootDir>/sandbox/test/integration/**/*.it.ts'] },
  ],
};
