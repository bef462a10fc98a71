#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Node 20 has no glob support in `--test`,
// so the files are listed here. Pass paths (substrings) to run a subset: `node scripts/run-tests.js cache`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// Tests live in test/ (cross-package) and packages/*/test/; all compile under dist/.
const root = 'dist';
const filters = process.argv.slice(2);
const files = readdirSync(root, { recursive: true })
  .map((f) => join(root, String(f)))
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// A compiled test whose source is gone is stale output (the build cleans dist/; this catches a run
// without a build): refuse it rather than run a test that no longer exists.
const stale = files.filter((f) => !existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
if (stale.length > 0) {
  console.error(`stale compiled tests (their source is gone; run npm run build):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=180000', ...files],
  { stdio: 'inherit', env: testEnv() },
);
process.exit(result.status ?? 1);

/**
 * The tests' environment: quiet logs, and no outbound proxy from the developer's shell or CI, since
 * tokensmith honours HTTP(S)_PROXY for loopback too (tests that check proxies set their own).
 */
function testEnv() {
  const env = { ...process.env, TOKENSMITH_LOG: process.env.TOKENSMITH_LOG ?? 'silent' };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    delete env[name];
  }
  return env;
}
