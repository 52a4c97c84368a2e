// Builds dist/ (the app, the tools, the benchmarks) once before any test runs, so that tests that
// run the compiled app or tools never race each other's builds. When the build uses CDK Terrain
// ($TRACKING_CDK or "trackingCdk" in cdktf.json), its packages are installed first if missing
// (terrain/install.mjs --if-selected: `npm ci` does not install them; docs/testing.md).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.join(__dirname, '..');
  execFileSync(process.execPath, ['terrain/install.mjs', '--if-selected'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
};
