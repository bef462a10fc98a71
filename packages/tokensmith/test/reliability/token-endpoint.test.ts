import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import type { FetchLike } from 'tokensmith/internal/core/http.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import type { OAuth2CommonOptions } from 'tokensmith/internal/oauth2/options.js';
import { atLeast, captureLogs, RETRY, type Rig, startRig, timed } from './fixture.js';

/** Assert `error` is a TokensmithError with `code`, and return it. */
function expectError(error: unknown, code: string): TokensmithError {
  assert.ok(error instanceof TokensmithError, `expected a TokensmithError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('token endpoint through faults: bounded retries, timeouts, clear errors', () => {
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
  beforeEach(() => {
    rig.reset();
    logs.lines.length = 0;
  });

  const manager = (extra?: Partial<OAuth2CommonOptions>) =>
    new TokenManager(oauth2.clientCredentials(rig.options(extra)));

  it('503, then success: 2 attempts, 1 token request upstream, after at least the base delay', async () => {
    rig.fault.script([{ kind: 'status', status: 503 }]);
    const run = await timed(() => manager().getCredential());
    assert.ok(run.value, String(run.error));
    assert.equal(rig.fault.stats.attempts, 2);
    assert.equal(rig.fault.stats.upstream, 1);
    assert.equal(rig.emu.stats.tokenRequests, 1);
    assert.ok(atLeast(run.ms, RETRY.baseDelayMs!), `${run.ms} ms`);
  });

  it('500 and 502, then success: 3 attempts, with exponential backoff (40 + 80 ms)', async () => {
    rig.fault.script([
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
    ]);
    const run = await timed(() => manager().getCredential());
    assert.ok(run.value, String(run.error));
    assert.deepEqual(rig.fault.stats.applied, ['status', 'status', 'pass']);
    assert.equal(rig.emu.stats.tokenRequests, 1);
    assert.ok(atLeast(run.ms, 40 + 80), `${run.ms} ms`);
  });

  it('504 on every attempt: ERR_HTTP_STATUS with the status and the attempt count, nothing upstream', async () => {
    rig.fault.script([], { kind: 'status', status: 504 });
    const run = await timed(() => manager().getCredential());
    const e = expectError(run.error, 'ERR_HTTP_STATUS');
    assert.equal(e.status, 504);
    assert.match(e.message, /HTTP 504 with an HTML page \(after 3 attempts\)/);
    assert.equal(rig.fault.stats.attempts, 3, 'bounded: exactly 3 attempts');
    assert.equal(rig.emu.stats.tokenRequests, 0);
  });

  it('a connection reset before any response byte is retried', async () => {
    rig.fault.script([{ kind: 'reset' }]);
    const credential = await manager().getCredential();
    assert.ok(credential.token);
    assert.deepEqual(rig.fault.stats.applied, ['reset', 'pass']);
    assert.equal(rig.emu.stats.tokenRequests, 1);
  });

  it('refused connections: ERR_NETWORK naming ECONNREFUSED after 3 attempts; success once the server is back', async () => {
    // Counts token requests only: discovery goes straight to the emulator.
    let calls = 0;
    const isToken = (input: string | URL | Request) => String(input).endsWith('/token');
    const counting: FetchLike = (input, init) => {
      if (isToken(input)) calls++;
      return fetch(input, init);
    };
    await rig.fault.down();
    try {
      const run = await timed(() => manager({ fetch: counting }).getCredential());
      const e = expectError(run.error, 'ERR_NETWORK');
      assert.match(e.message, /ECONNREFUSED/);
      assert.match(e.message, /after 3 attempts/);
      assert.equal(calls, 3);
    } finally {
      await rig.fault.up();
    }

    // The server comes back right after the first refused attempt: the retry gets through.
    await rig.fault.down();
    calls = 0;
    const reviving: FetchLike = async (input, init) => {
      if (!isToken(input)) return fetch(input, init);
      calls++;
      try {
        return await fetch(input, init);
      } finally {
        if (calls === 1) await rig.fault.up();
      }
    };
    const credential = await manager({ fetch: reviving }).getCredential();
    assert.ok(credential.token);
    assert.equal(calls, 2);
    assert.equal(rig.fault.stats.attempts, 1, 'the refused attempt never reached the server');
    assert.equal(rig.emu.stats.tokenRequests, 1);
  });

  it('429 with Retry-After: 1 waits at least one second, then succeeds', async () => {
    rig.fault.script([{ kind: 'rate-limit', retryAfter: '1' }]);
    const run = await timed(() => manager().getCredential());
    assert.ok(run.value, String(run.error));
    assert.equal(rig.fault.stats.attempts, 2);
    assert.ok(atLeast(run.ms, 1000), `${run.ms} ms`);
    assert.equal(rig.emu.stats.tokenRequests, 1);
  });

  it('Retry-After beyond the cap fails at once, saying when to retry', async () => {
    rig.fault.script([{ kind: 'rate-limit', retryAfter: '120' }]);
    const run = await timed(() => manager().getCredential());
    const e = expectError(run.error, 'ERR_HTTP_STATUS');
    assert.equal(e.status, 429);
    assert.match(
      e.message,
      /retry in 120 s, longer than the 30 s this client waits; retry after \d{4}-\d\d-\d\dT/,
    );
    assert.equal(rig.fault.stats.attempts, 1);
    assert.ok(run.ms < 1000, 'no waiting');
  });

  it('a 503 with Retry-After as an HTTP date is honoured the same way', async () => {
    const far = new Date(Date.now() + 3_600_000).toUTCString();
    rig.fault.script([{ kind: 'status', status: 503, retryAfter: far }]);
    const e = expectError((await timed(() => manager().getCredential())).error, 'ERR_HTTP_STATUS');
    assert.equal(e.status, 503);
    assert.match(e.message, /retry after/);
    assert.equal(rig.fault.stats.attempts, 1);
  });

  it('a reset in the middle of the body: ERR_NETWORK, not retried (the server processed the request)', async () => {
    rig.fault.script([{ kind: 'reset-mid-body' }]);
    const e = expectError((await timed(() => manager().getCredential())).error, 'ERR_NETWORK');
    assert.match(e.message, /dropped the connection while sending its body/);
    assert.equal(rig.fault.stats.attempts, 1);
    assert.equal(rig.emu.stats.tokenRequests, 1);
  });

  it('a stall past the timeout: ERR_TIMEOUT once the timeout fires, not retried', async () => {
    rig.fault.script([{ kind: 'stall', ms: 5000 }]);
    const run = await timed(() => manager({ timeoutMs: 300 }).getCredential());
    const e = expectError(run.error, 'ERR_TIMEOUT');
    assert.match(e.message, /timed out after 300 ms/);
    assert.ok(atLeast(run.ms, 300), `${run.ms} ms`);
    assert.ok(run.ms < 4000, 'the timeout fired, not the server');
    assert.equal(rig.fault.stats.attempts, 1);
  });

  it('a stall after the server issued the token: ERR_TIMEOUT, no automatic duplicate; the next call gets one token', async () => {
    rig.fault.script([{ kind: 'stall', ms: 5000, forward: true }]);
    const m = manager({ timeoutMs: 300 });
    expectError((await timed(() => m.getCredential())).error, 'ERR_TIMEOUT');
    assert.equal(rig.emu.stats.tokenRequests, 1, 'processed once, and not sent again by a retry');
    const credential = await m.getCredential();
    assert.ok(credential.token);
    assert.equal(rig.emu.stats.tokenRequests, 2);
  });

  it('retryOnTimeout: true opts in to retrying a timed-out request', async () => {
    rig.fault.script([{ kind: 'stall', ms: 5000 }]);
    const credential = await manager({
      timeoutMs: 300,
      retry: { ...RETRY, retryOnTimeout: true },
    }).getCredential();
    assert.ok(credential.token);
    assert.deepEqual(rig.fault.stats.applied, ['stall', 'pass']);
  });

  it('truncated JSON: ERR_RESPONSE_NOT_JSON, not retried', async () => {
    rig.fault.script([{ kind: 'truncated-json' }]);
    const e = expectError((await timed(() => manager().getCredential())).error, 'ERR_RESPONSE_NOT_JSON');
    assert.equal(e.status, 200);
    assert.equal(rig.fault.stats.attempts, 1);
  });

  it('retry: false sends exactly one request', async () => {
    rig.fault.script([{ kind: 'status', status: 503 }]);
    const e = expectError(
      (await timed(() => manager({ retry: false }).getCredential())).error,
      'ERR_HTTP_STATUS',
    );
    assert.equal(e.status, 503);
    assert.doesNotMatch(e.message, /attempts/);
    assert.equal(rig.fault.stats.attempts, 1);
  });

  it('the time budget stops retrying before the attempts run out', async () => {
    rig.fault.script([], { kind: 'status', status: 503 });
    // Waits of 100 then 200 ms: the second would end past the 250 ms budget.
    const retry = { attempts: 10, baseDelayMs: 100, jitter: 0, budgetMs: 250 };
    const e = expectError((await timed(() => manager({ retry }).getCredential())).error, 'ERR_HTTP_STATUS');
    assert.match(e.message, /after 2 attempts/);
    assert.equal(rig.fault.stats.attempts, 2);
  });

  it('each retry logs one warn line, naming the attempt and reason, without secrets', async () => {
    rig.fault.script([{ kind: 'status', status: 503 }, { kind: 'reset' }]);
    const credential = await manager().getCredential();
    const retries = logs.lines.filter((l) => l.includes('[retry]'));
    assert.equal(retries.length, 2, logs.lines.join('\n'));
    assert.match(
      retries[0]!,
      /retrying POST http:\/\/127\.0\.0\.1:\d+\/token after HTTP 503 \(attempt 2 of 3 in 40 ms\)/,
    );
    assert.match(retries[1]!, /after ERR_NETWORK \(attempt 3 of 3 in 80 ms\)/);
    const secrets = [rig.emu.clients.confidential.clientSecret, credential.token];
    for (const line of logs.lines) for (const s of secrets) assert.ok(!line.includes(s), line);
  });

  it('a refresh that meets a 503 is retried and rotates the refresh token exactly once', async () => {
    let offset = 0;
    const alice = rig.emu.users[0]!;
    const m = new TokenManager(
      oauth2.password(rig.options({ username: alice.username, password: alice.password, scope: 'openid' })),
      { now: () => Date.now() + offset },
    );
    const first = await m.getCredential();
    rig.reset();
    rig.fault.script([{ kind: 'status', status: 503 }, { kind: 'reset' }]);
    offset = 310_000; // expired: the caller waits for the refresh
    const second = await m.getCredential();
    assert.equal(m.lastSource, 'refresh');
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.deepEqual(rig.emu.stats.byGrant, { refresh_token: 1 });
    assert.deepEqual(m.stats, { acquired: 1, refreshed: 1, refreshRejected: 0, cacheHits: 0 });
  });
});
