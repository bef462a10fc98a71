import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';

/** A provider whose behaviour the test scripts; it counts calls like a server would. */
function scriptedProvider(opts: { lifetimeMs: number; now: () => number; interactive?: boolean }) {
  const calls = { acquire: 0, refresh: 0 };
  let serial = 0;
  let refreshAccepted = true;
  const issue = (refresh: boolean) =>
    new Credential({
      v: 1,
      kind: 'test',
      token: `access-${++serial}`,
      tokenType: 'Bearer',
      obtainedAt: opts.now(),
      expiresAt: opts.now() + opts.lifetimeMs,
      refreshToken: refresh ? `refresh-${serial}` : undefined,
    });
  const provider: Provider = {
    kind: 'test',
    cacheKey: 'test-key',
    interactive: opts.interactive,
    async acquire() {
      calls.acquire++;
      await new Promise((r) => setTimeout(r, 5));
      return issue(true);
    },
    async refresh() {
      calls.refresh++;
      if (!refreshAccepted) throw new TokensmithError('ERR_OAUTH_INVALID_GRANT', 'refused', { status: 400 });
      return issue(false);
    },
  };
  return { provider, calls, rejectRefresh: () => (refreshAccepted = false) };
}

describe('TokenManager', () => {
  it('returns the cached credential while fresh and refreshes inside the window, behind the caller', async () => {
    let now = 1_000_000;
    const { provider, calls } = scriptedProvider({ lifetimeMs: 300_000, now: () => now });
    const m = new TokenManager(provider, { now: () => now, refreshWindowSeconds: 30 });
    const a = await m.getCredential();
    assert.equal(a.token, 'access-1');
    now += 200_000;
    assert.equal((await m.getCredential()).token, 'access-1');
    assert.equal(m.lastSource, 'memory');
    now += 75_000; // 25 s before expiry: inside the window, still valid
    assert.equal((await m.getCredential()).token, 'access-1', 'served at once');
    await m.idle(); // the background renewal
    const b = await m.getCredential();
    assert.equal(b.token, 'access-2');
    assert.equal(m.lastSource, 'memory');
    assert.equal(b.refreshToken, 'refresh-1', 'keeps the old refresh token when none came back');
    assert.deepEqual(calls, { acquire: 1, refresh: 1 });
    assert.deepEqual(m.stats, { acquired: 1, refreshed: 1, refreshRejected: 0, cacheHits: 0 });
  });

  it('a fresh getCredential() returns the same already-resolved promise (one await for the caller)', async () => {
    const { provider } = scriptedProvider({ lifetimeMs: 600_000, now: Date.now });
    const m = new TokenManager(provider);
    const first = await m.getCredential();
    const p1 = m.getCredential();
    const p2 = m.getCredential();
    assert.equal(p1, p2, 'no promise allocated per call');
    assert.equal(await p1, first);
  });

  it('single-flight: 1000 concurrent callers at expiry cause one renewal', async () => {
    let now = 0;
    const { provider, calls } = scriptedProvider({ lifetimeMs: 60_000, now: () => now });
    const m = new TokenManager(provider, { now: () => now });
    await m.getCredential();
    now += 120_000;
    const results = await Promise.all(Array.from({ length: 1000 }, () => m.getCredential()));
    assert.equal(new Set(results.map((c) => c.token)).size, 1);
    assert.deepEqual(calls, { acquire: 1, refresh: 1 });
  });

  it('re-acquires when the refresh token is refused, or asks for login when interactive', async () => {
    let now = 0;
    const s = scriptedProvider({ lifetimeMs: 60_000, now: () => now });
    const m = new TokenManager(s.provider, { now: () => now });
    await m.getCredential();
    s.rejectRefresh();
    now += 120_000;
    assert.equal((await m.getCredential()).token, 'access-2');
    assert.equal(m.lastSource, 'acquire');
    assert.deepEqual(s.calls, { acquire: 2, refresh: 1 });

    const i = scriptedProvider({ lifetimeMs: 60_000, now: () => now, interactive: true });
    const cache = new MemoryCache();
    const mi = new TokenManager(i.provider, { now: () => now, cache });
    await mi.getCredential();
    i.rejectRefresh();
    now += 120_000;
    await assert.rejects(mi.getCredential(), (e: TokensmithError) => e.code === 'ERR_LOGIN_REQUIRED');
    assert.deepEqual(await cache.keys(), [], 'the dead session is forgotten');
  });

  it('forceRefresh renews even a fresh credential, and invalidate() forces the next renewal', async () => {
    const now = 0;
    const { provider, calls } = scriptedProvider({ lifetimeMs: 600_000, now: () => now });
    const m = new TokenManager(provider, { now: () => now });
    await m.getCredential();
    assert.equal((await m.getCredential({ forceRefresh: true })).token, 'access-2');
    await m.invalidate();
    assert.equal((await m.getCredential()).token, 'access-3');
    assert.deepEqual(calls, { acquire: 1, refresh: 2 });
  });

  it('treats a malformed cache entry as a miss', async () => {
    const cache = new MemoryCache();
    await cache.set('test-key', { v: 1, kind: 'test' } as never);
    const { provider, calls } = scriptedProvider({ lifetimeMs: 600_000, now: Date.now });
    const m = new TokenManager(provider, { cache });
    assert.equal((await m.getCredential()).token, 'access-1');
    assert.equal(calls.acquire, 1);
  });
});

describe('redaction', () => {
  it('registers secrets that percent-encoding changes, and masks every form', async () => {
    const { redact, registerSecret } = await import('tokensmith/internal/core/redact.js');
    const secret = 'abc/def+ghi=%20 x@y';
    registerSecret(secret);
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${encodeURIComponent(secret).replace(/%20/g, '+')}`;
    assert.equal(redact(text), 'a [REDACTED] b [REDACTED] c [REDACTED]');
  });
});
