// Builds dist/ (the app, the tools, the benchmarks) once before any test runs, so that tests that
// run the compiled app or tools never race each other's builds.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
};
