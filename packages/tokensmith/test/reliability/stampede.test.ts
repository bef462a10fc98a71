import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { RetryOptions } from 'tokensmith/internal/core/retry.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import type { Fault } from '../../../../test/helpers/fault-server.js';
import { introspect } from '../../../../test/helpers/introspect.js';
import { race } from '../cache/fixtures/spawn.js';
import type { WorkerOAuth2 } from '../cache/fixtures/worker-config.js';
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

describe('4 processes at expiry, through faults, with refresh-token rotation', () => {
  let rig: Rig;
  let logs: ReturnType<typeof captureLogs>;
  let dir: string;
  before(async () => {
    rig = await startRig();
    logs = captureLogs();
    dir = await mkdtemp(join(tmpdir(), 'tokensmith-reliability-'));
  });
  after(async () => {
    logs.stop();
    await rig.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a 503 and a reset on the way: one refresh reaches the server, every process ends with its token', async () => {
    const alice = rig.emu.users[0]!;
    const retry = { attempts: 4, baseDelayMs: 20, jitter: 0 };
    // Each worker builds this provider with the real oauth2 module; its token requests cross the faults.
    const grant: WorkerOAuth2 = {
      grant: 'password',
      issuer: rig.emu.issuer,
      tokenEndpoint: `${rig.fault.origin}/token`,
      clientId: rig.emu.clients.confidential.clientId,
      clientSecret: rig.emu.clients.confidential.clientSecret,
      username: alice.username,
      password: alice.password,
      scope: 'openid',
      retry,
    };
    const cache = new FileCache({ dir });
    const key = 'reliability:rotation';
    const seeded = await new TokenManager(
      oauth2.password({
        ...rig.options({ retry }),
        username: alice.username,
        password: alice.password,
        scope: 'openid',
      }),
      { cache, key },
    ).getCredential();
    await cache.set(key, seeded.with({ expiresAt: Date.now() - 60_000 }).toRecord());
    rig.reset();
    rig.fault.script([{ kind: 'status', status: 503 }, { kind: 'reset' }]);

    const results = await race(
      Array.from({ length: 4 }, () => ({
        mode: 'get' as const,
        cache: { type: 'file' as const, dir },
        key,
        oauth2: grant,
      })),
    );

    assert.deepEqual(rig.fault.stats.applied, ['status', 'reset', 'pass'], 'one renewal, 3 attempts');
    assert.deepEqual(rig.emu.stats.byGrant, { refresh_token: 1 }, 'the rotated refresh token was sent once');
    assert.deepEqual(results.map((r) => r.source).sort(), ['cache', 'cache', 'cache', 'refresh']);
    const tokens = new Set(results.map((r) => r.token));
    assert.equal(tokens.size, 1, 'every process holds the same token');
    const [token] = [...tokens] as [string];
    assert.notEqual(token, seeded.token);
    assert.equal((await introspect(rig.emu, token)).active, true, 'and the server accepts it');
  });
});
