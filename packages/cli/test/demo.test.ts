import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../../test/helpers/cli.js';

describe('tokensmith demo', () => {
  it('runs every step against the in-process emulators and exits 0', async () => {
    const run = await runCli(['demo', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const results = JSON.parse(run.stdout) as Array<{ step: string; ok: boolean; detail: string }>;
    assert.deepEqual(
      results.map((r) => r.step),
      [
        'OAuth2 client credentials',
        'OAuth2 password (Keycloak style)',
        'Refresh with rotation',
        'Device code (auto-approved)',
        'Stampede: 100 callers at expiry',
        'authFetch with 401 replay',
        'Kaltura app-token session',
        'Kaltura app-token audit',
        'Kalliope signed requests',
      ],
    );
    assert.deepEqual(
      results.filter((r) => !r.ok),
      [],
    );
    assert.ok(results.some((r) => r.detail === '100 concurrent callers → 1 token request'));
    assert.ok(results.some((r) => r.detail.endsWith('20 accepted, 1 salt fetch')));
  });
});
