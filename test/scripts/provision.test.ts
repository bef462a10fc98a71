import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/cli.js';

/** Run `node scripts/provision.js --dry-run` (never installs) with `env` on top of ours. */
function provision(env: Record<string, string>) {
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'provision.js'), '--dry-run'], {
    env: { ...process.env, TOKENSMITH_PROVISION_MISSING: '', ...env },
    encoding: 'utf8',
  });
  return { code: run.status, stderr: run.stderr };
}

const asRoot = process.getuid?.() === 0;

describe('scripts/provision.js (the first step of npm test)', () => {
  it('with everything present it says so and calls no apt at all', () => {
    const r = provision({});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      'test prerequisites present: chromium, redis-server, curl, openssl, git, kubernetes-client, nginx\n',
    );
  });

  it('when it may not install (no apt-get), it stops at once and names the exact command', () => {
    // An empty PATH: no apt-get, and none of the programs looked up on PATH.
    const r = provision({
      PATH: mkdtempSync(join(tmpdir(), 'tokensmith-empty-path-')),
      // Both are looked up at an absolute path as well, so an empty PATH alone does not hide them.
      TOKENSMITH_PROVISION_MISSING: 'chromium,nginx',
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^npm test needs programs that are not installed:\n {2}chromium {6}the browser-login test/,
    );
    assert.match(
      r.stderr,
      /\n {2}sudo apt-get install -y chromium redis-server curl openssl git kubernetes-client nginx\n/,
    );
    assert.doesNotMatch(r.stderr, /apt-get update/);
  });

  it(
    asRoot
      ? 'as root with apt-get, it would update once and install exactly the missing packages'
      : 'as a user, it stops and names the sudo command',
    () => {
      const r = provision({ TOKENSMITH_PROVISION_MISSING: 'chromium,redis-server' });
      if (asRoot) {
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stderr,
          /installing them from Debian:\n {2}apt-get update -qq\n {2}apt-get install -y -qq chromium redis-server\n\(dry run: nothing installed\)\n$/,
        );
      } else {
        assert.equal(r.code, 1);
        assert.match(r.stderr, /\n {2}sudo apt-get install -y chromium redis-server\n/);
      }
    },
  );
});
