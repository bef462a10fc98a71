import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { MemoryCache } from 'tokensmith/internal/core/memory-cache.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { rejection } from '../../../../test/helpers/rejection.js';

/**
 * Issue #15 item 4: `getCredential({ minValiditySeconds })` returns a token valid at least that
 * long, renewing first (once, single flight) when the current one would expire sooner, and fails
 * with ERR_LIFETIME_TOO_SHORT instead of renewing forever when the server's tokens live less.
 * The emulator's tokens live 120 s; a token "obtained 70 s ago" is the emulator's own token put in
 * the cache with that age, as another process would have left it.
 */
describe('getCredential({ minValiditySeconds })', () => {
  let emu: OidcEmulator;
  let cache: MemoryCache;
  let manager: TokenManager;

  const provider = () =>
    oauth2.clientCredentials({
      issuer: emu.issuer,
      clientId: emu.clients.confidential.clientId,
      clientSecret: emu.clients.confidential.clientSecret,
    });

  /** A real token in the cache, obtained `ageSeconds` ago (so 120 - ageSeconds are left). */
  async function agedToken(ageSeconds: number): Promise<string> {
    const credential = await provider().acquire({});
    const now = Date.now();
    const record = {
      ...credential.toRecord(),
      obtainedAt: now - ageSeconds * 1000,
      expiresAt: now + (120 - ageSeconds) * 1000,
    };
    await cache.set(manager.key, record);
    emu.resetStats();
    return credential.token;
  }

  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator({ accessTokenTtl: 120 });
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.resetStats();
    cache = new MemoryCache();
    manager = new TokenManager(provider(), { cache });
  });

  it('keeps a token that is valid long enough, and renews one that is not (while still fresh)', async () => {
    const aged = await agedToken(70); // 50 s left: fresh for the 30 s refresh window, too short for 60 s
    assert.equal((await manager.getCredential()).token, aged);
    assert.equal((await manager.getCredential({ minValiditySeconds: 40 })).token, aged);
    assert.equal(emu.stats.tokenRequests, 0);
    const renewed = await manager.getCredential({ minValiditySeconds: 60 });
    assert.notEqual(renewed.token, aged);
    assert.equal(manager.lastSource, 'acquire');
    assert.equal(emu.stats.tokenRequests, 1);
    assert.ok(renewed.expiresAt! - Date.now() >= 60_000);
    // The renewed token is the current one now, for callers with or without the bound.
    assert.equal((await manager.getCredential()).token, renewed.token);
    assert.equal((await cache.get(manager.key))?.token, renewed.token);
  });

  it('concurrent callers share one renewal', async () => {
    const aged = await agedToken(70);
    assert.equal((await manager.getCredential()).token, aged);
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => manager.getCredential({ minValiditySeconds: 60 })),
    );
    assert.equal(new Set(tokens.map((c) => c.token)).size, 1);
    assert.notEqual(tokens[0]!.token, aged);
    assert.equal(emu.stats.tokenRequests, 1);
  });

  it('a validity longer than the server grants is ERR_LIFETIME_TOO_SHORT after one request, not a loop', async () => {
    const err = await rejection(manager.getCredential({ minValiditySeconds: 600 }));
    assert.equal(err.code, 'ERR_LIFETIME_TOO_SHORT');
    assert.match(err.message, /valid for 600 s was asked for, but the server's lives 120 s$/);
    assert.equal(emu.stats.tokenRequests, 1);
    // The token obtained is kept: a call without the bound uses it.
    await manager.getCredential();
    assert.equal(emu.stats.tokenRequests, 1);
  });

  it('a negative or non-number validity is ERR_CONFIG_INVALID', async () => {
    for (const minValiditySeconds of [-1, Number.NaN]) {
      await assert.rejects(manager.getCredential({ minValiditySeconds }), { code: 'ERR_CONFIG_INVALID' });
    }
    assert.equal(emu.stats.tokenRequests, 0);
  });
});
