import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '@tokensmith/cli/internal/config/profiles.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { Redis } from 'ioredis';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { password } from 'tokensmith/internal/oauth2/grants/password.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { introspect } from '../../../../test/helpers/introspect.js';
import { profileHome } from '../../../../test/helpers/profile-home.js';
import {
  type RedisSentinelSetup,
  startRedisSentinel,
  until,
} from '../../../../test/helpers/redis-sentinel.js';
import { captureLogs } from './fixtures/logs.js';

const logs = captureLogs();
let setup: RedisSentinelSetup;
let emu: OidcEmulator;
const caches: RedisCache[] = [];

before(async () => {
  setup = await startRedisSentinel(3);
  // Each token request is held this long: long enough to kill the master while one is in flight.
  emu = await startOidcEmulator({ tokenDelayMs: 800 });
});
after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await emu?.close();
  await setup?.stop();
});

const open = (options: { failoverWaitMs?: number } = {}) => {
  const cache = new RedisCache({
    sentinel: { sentinels: setup.addresses, name: setup.name },
    prefix: 'sentinel:',
    commandTimeoutMs: 2_000,
    ...options,
  });
  caches.push(cache);
  return cache;
};
const provider = () => {
  const alice = emu.users[0]!;
  const client = emu.clients.confidential;
  return password({
    issuer: emu.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    username: alice.username,
    password: alice.password,
    scope: 'openid',
  });
};

describe('RedisCache on Redis Sentinel', () => {
  it('takes the redis+sentinel:// URL and follows the master the sentinels name; a WRONGTYPE reply is not retried', async () => {
    const byUrl = new RedisCache({ url: setup.url, prefix: 'sentinel-url:' });
    caches.push(byUrl);
    assert.equal(byUrl.endpoint, setup.url);
    await byUrl.set('k', {
      v: 1,
      kind: 'test',
      token: 'via-sentinel',
      tokenType: 'Bearer',
      obtainedAt: Date.now(),
      expiresAt: Date.now() + 600_000,
    });
    const master = new Redis(await setup.masterPort(), '127.0.0.1');
    try {
      assert.equal(await master.exists(byUrl.entryKey('k')), 1, 'written to the master');
    } finally {
      master.disconnect();
    }
    assert.deepEqual(await byUrl.keys(), ['k']);
    await byUrl.delete('k');
    // A reply that no failover explains (WRONGTYPE) fails at once instead of being retried.
    const direct = new Redis(await setup.masterPort(), '127.0.0.1');
    await direct.hset(byUrl.entryKey('wrong'), 'f', 'v');
    direct.disconnect();
    logs.length = 0;
    await assert.rejects(byUrl.get('wrong'), (e: TokensmithError) => {
      assert.equal(e.code, 'ERR_CACHE_UNAVAILABLE');
      assert.match(String((e.cause as Error).message), /^WRONGTYPE/);
      return true;
    });
    assert.equal(logs.filter((l) => l.includes('retrying during failover')).length, 0);
    assert.throws(() => new RedisCache({ url: 'redis+sentinel://127.0.0.1:1' }), {
      code: 'ERR_CONFIG_INVALID',
    });
    assert.throws(() => new RedisCache({ url: 'redis+sentinel://127.0.0.1:1/m/x' }), {
      code: 'ERR_CONFIG_INVALID',
    });
    assert.throws(() => new RedisCache({ sentinel: { sentinels: [], name: 'm' } }), {
      code: 'ERR_CONFIG_INVALID',
    });
  });

  it('a profile with redis_url = "redis+sentinel://...": the CLI stores there and reads it back; a password in it needs a private file', async () => {
    const client = emu.clients.confidential;
    const profile = (url: string) =>
      [
        '[profiles.ha]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${client.clientId}"`,
        `client_secret = "${client.clientSecret}"`,
        'cache = "redis"',
        `redis_url = "${url}"`,
        '',
      ].join('\n');
    const home = profileHome(profile(setup.url));
    emu.resetStats();
    const first = await runCli(['token', '-p', 'ha'], { env: home.env });
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(['token', '-p', 'ha'], { env: home.env });
    assert.equal(second.stdout, first.stdout);
    assert.equal(emu.stats.tokenRequests, 1);
    const cache = new RedisCache({ url: setup.url, encryptionKey: home.cacheKey });
    caches.push(cache);
    const [key] = await cache.keys();
    assert.equal((await cache.get(key!))?.token, first.stdout.trim());
    await cache.delete(key!);
    // A literal client secret would be refused first: this one is a reference.
    const withPassword = profile(
      setup.url.replace('redis+sentinel://', 'redis+sentinel://:pw-secret@'),
    ).replace(`client_secret = "${client.clientSecret}"`, 'client_secret = "env:HA_CLIENT_SECRET"');
    assert.throws(
      () => parseConfig(withPassword, '/etc/ts.toml', false),
      (e: TokensmithError) => {
        assert.equal(e.code, 'ERR_CONFIG_INVALID');
        assert.match(e.message, /"redis_url" holds a password but the file is readable by others/);
        assert.ok(!e.message.includes('pw-secret'));
        return true;
      },
    );
    assert.equal(
      parseConfig(withPassword, '/etc/ts.toml', true).profiles.ha?.values.redis_url,
      withPassword.match(/redis_url = "(.*)"/)?.[1],
    );
  });

  it('the master SIGKILLed while a renewal is held at the token endpoint: after failover the new credential is stored, the lock released, nothing refreshed twice', async () => {
    const key = 'sentinel:alice';
    const cache = open();
    const first = await new TokenManager(provider(), { cache, key }).getCredential();
    await cache.set(
      key,
      first.with({ expiresAt: Date.now() - 60_000, obtainedAt: Date.now() - 360_000 }).toRecord(),
    );
    const master = new Redis(setup.master.port, '127.0.0.1');
    // The expired entry is on the replica before the master dies (asynchronous replication otherwise).
    assert.equal(await master.wait(1, 2_000), 1);
    master.disconnect();
    emu.resetStats();

    assert.equal(await setup.masterPort(), setup.master.port, 'no failover yet');
    // A new process wakes up on the expired entry: it takes the lock and asks for a refresh.
    const manager = new TokenManager(provider(), { cache: open(), key });
    const renewal = manager.getCredential();
    await until('the refresh request to reach the token endpoint', async () => emu.stats.tokenRequests === 1);
    logs.length = 0;
    setup.master.child.kill('SIGKILL');
    const renewed = await renewal;
    assert.ok(
      logs.some((l) => l.includes('retrying during failover')),
      'the write of the renewed credential waited for the failover',
    );

    assert.equal(manager.lastSource, 'refresh');
    assert.notEqual(renewed.token, first.token);
    assert.equal(await setup.masterPort(), setup.replica.port, 'the sentinels promoted the replica');
    // Not lost: a process that starts now reads the renewed credential from the new master.
    const later = new TokenManager(provider(), { cache: open(), key });
    assert.equal((await later.getCredential()).token, renewed.token);
    assert.equal(later.lastSource, 'cache');
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 }, 'one refresh, never refused, no new login');
    assert.equal((await introspect(emu, renewed.token)).active, true);
    const promoted = new Redis(setup.replica.port, '127.0.0.1');
    try {
      assert.equal(await promoted.exists(cache.lockKey(key)), 0, 'the lock was released on the new master');
      assert.match(await promoted.info('replication'), /role:master/);
    } finally {
      promoted.disconnect();
    }
  });

  it('with no replica left to promote, a caller fails with ERR_CACHE_UNAVAILABLE once failoverWaitMs has passed, having asked the server nothing', async () => {
    // After the previous test the old replica is the master and nothing replicates it.
    setup.replica.child.kill('SIGKILL');
    const cache = open({ failoverWaitMs: 1_500 });
    const manager = new TokenManager(provider(), { cache, key: 'sentinel:nobody' });
    emu.resetStats();
    await assert.rejects(manager.getCredential(), (e: TokensmithError) => {
      assert.equal(e.code, 'ERR_CACHE_UNAVAILABLE');
      assert.match(
        e.message,
        /redis\+sentinel:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/mymaster/,
      );
      return true;
    });
    assert.equal(emu.stats.tokenRequests, 0);
    // The outage is known now: the next operation fails without waiting again (no retry logged).
    logs.length = 0;
    await assert.rejects(cache.get('sentinel:nobody'), { code: 'ERR_CACHE_UNAVAILABLE' });
    assert.equal(logs.filter((l) => l.includes('retrying during failover')).length, 0);
  });
});
