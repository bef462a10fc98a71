import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TokensmithError } from '../../src/core/errors.js';
import { TokenManager } from '../../src/core/manager.js';
import type { RetryOptions } from '../../src/core/retry.js';
import * as oauth2 from '../../src/oauth2/index.js';
import type { Fault } from '../helpers/fault-server.js';
import { captureLogs, type Rig, startRig } from './fixture.js';

const FAULTS: Fault[] = [
  { kind: 'status', status: 503 },
  { kind: 'reset' },
  { kind: 'rate-limit', retryAfter: '0' },
];

describe('1,000 concurrent callers at expiry, through faults', () => {
  let rig: Rig;
  let logs: ReturnType<typeof captureLogs>;
  before(async () => {
    rig = await startRig();
    logs = captureLogs();
  });
  after(async () => {
    logs.stop();
    await rig.close();
  });
  beforeEach(() => rig.reset());

  /** A manager holding a credential that has just expired, with `FAULTS` queued for its renewal. */
  async function expiredManager(retry: RetryOptions) {
    let offset = 0;
    const m = new TokenManager(oauth2.clientCredentials(rig.options({ retry })), {
      now: () => Date.now() + offset,
    });
    const first = await m.getCredential();
    offset = 400_000; // past the 300 s lifetime
    rig.reset();
    rig.fault.script(FAULTS);
    return { m, first };
  }

  it('a 503, a reset and a 429 on the way: exactly one successful token request upstream', async () => {
    const { m, first } = await expiredManager({ attempts: 4, baseDelayMs: 20, jitter: 0 });
    const all = await Promise.all(Array.from({ length: 1000 }, () => m.getCredential()));
    assert.equal(rig.emu.stats.tokenRequests, 1, 'exactly one token request reached the server');
    assert.deepEqual(
      rig.fault.stats.applied,
      ['status', 'reset', 'rate-limit', 'pass'],
      'one renewal, 4 attempts',
    );
    assert.equal(new Set(all.map((c) => c.token)).size, 1, 'every caller got the same token');
    assert.notEqual(all[0]!.token, first.token);
  });

  it('faults that outlast the attempts: the 1,000 callers share one failed renewal of 3 attempts', async () => {
    const { m } = await expiredManager({ attempts: 3, baseDelayMs: 20, jitter: 0 });
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => m.getCredential()));
    const errors = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
    assert.ok(errors.every((e) => e instanceof TokensmithError && e.status === 429));
    assert.match((errors[0] as Error).message, /after 3 attempts/);
    assert.equal(rig.fault.stats.attempts, 3);
    assert.equal(rig.emu.stats.tokenRequests, 0);
    // The next caller starts a new renewal, which gets through.
    assert.ok((await m.getCredential()).token);
    assert.equal(rig.emu.stats.tokenRequests, 1);
  });
});
