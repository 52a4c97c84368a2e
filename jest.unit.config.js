// `npm run test:unit`: the quick tier for the inner loop (under a minute on 2 cores). Pure unit and
// property tests of the code in this process: no terraform, no browser, no emulator or stand-in
// server, no child process, no synth, no CDK Terrain, no dist/ build (so no global setup).
// `npm test` (jest.config.js) still runs every test, these included; CI runs that.
//
// A test belongs here only if it stays that kind of test: __tests__/toolchain/tiers.test.ts
// fails when a file listed here (or anything it imports from the project) uses one of those.
const base = require('./jest.config.js');

/** The quick tier, by file (relative to __tests__/). */
const UNIT_TESTS = [
  'browser/bundle.test.ts',
  'browser/tracker.test.ts',
  'client/create-tracker.test.ts',
  'client/property.test.ts',
  'client/tracker.test.ts',
  'collector/catalog.test.ts',
  'collector/config.test.ts',
  'collector/http.test.ts',
  'collector/ingest.test.ts',
  'config/aws-values.test.ts',
  'config/json-schema.test.ts',
  'config/loader.test.ts',
  'config/reference.test.ts',
  'config/shards.test.ts',
  'contracts/compat.test.ts',
  'contracts/config.test.ts',
  'contracts/validator.test.ts',
  'cost/cost.test.ts',
  'hot-path/config.test.ts',
  'hot-path/filter.test.ts',
  'jsonl-transform/handler.test.ts',
  'jsonl-transform/properties.test.ts',
  'jsonl-transform/transform.test.ts',
  'lib/batching.test.ts',
  'lib/confirm.test.ts',
  'lib/deadline.test.ts',
  'lib/envelope.test.ts',
  'lib/layers.test.ts',
  'lib/send.test.ts',
  'ops/review-lib.test.ts',
  'redrive/progress.test.ts',
  'router/handler.test.ts',
  'router/router.property.test.ts',
  'router/router.test.ts',
  'toolchain/tiers.test.ts',
];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: UNIT_TESTS.map((f) => `<rootDir>/__tests__/${f}`),
  globalSetup: undefined,
};
