import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { Cluster, Redis } from 'ioredis';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialRecord } from 'tokensmith/internal/core/credential.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { password } from 'tokensmith/internal/oauth2/index.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { introspect } from '../../../../test/helpers/introspect.js';
import { profileHome } from '../../../../test/helpers/profile-home.js';
import { type RedisCluster, startRedisCluster } from '../../../../test/helpers/redis-cluster.js';
import type { FleetWorker } from './fixtures/fleet-worker.js';

let cluster: RedisCluster;
let emu: OidcEmulator;
let root: string;
const caches: RedisCache[] = [];

const record = (token: string): CredentialRecord => ({
  v: 1,
  kind: 'test',
  token,
  tokenType: 'Bearer',
  obtainedAt: Date.now(),
  expiresAt: Date.now() + 600_000,
  clientId: 'client-c',
});
const open = (prefix: string) => {
  const cache = new RedisCache({ cluster: cluster.addresses, prefix });
  caches.push(cache);
  return cache;
};

before(async () => {
  cluster = await startRedisCluster(3);
  // The delay keeps the renewal in flight while the other processes arrive.
  emu = await startOidcEmulator({ tokenDelayMs: 300 });
  root = await mkdtemp(join(tmpdir(), 'tokensmith-fleet-'));
});
after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await emu?.close();
  await cluster?.stop();
  await rm(root, { recursive: true, force: true });
});

/** Keys that end up on every master, including ones that would break a naive hash tag. */
const KEYS = [
  'a',
  'b}c',
  '{x}',
  '}',
  '%7D',
  'k*[2]',
  'profile:prod',
  ...Array.from({ length: 23 }, (_, i) => `k${i}`),
];

describe('RedisCache on a 3-master Redis Cluster', () => {
  it('an entry and its lock share a hash slot (CLUSTER KEYSLOT), for awkward keys too', async () => {
    const cache = open('slot:');
    const raw = new Redis(cluster.nodes[0]!.port, '127.0.0.1');
    try {
      const slots = new Set<number>();
      for (const key of KEYS) {
        const entrySlot = (await raw.call('CLUSTER', 'KEYSLOT', cache.entryKey(key))) as number;
        const lockSlot = (await raw.call('CLUSTER', 'KEYSLOT', cache.lockKey(key))) as number;
        assert.equal(entrySlot, lockSlot, `key ${key}: ${cache.entryKey(key)} and ${cache.lockKey(key)}`);
        slots.add(entrySlot);
      }
      assert.equal(slots.size, KEYS.length, 'the keys themselves spread over distinct slots');
    } finally {
      raw.disconnect();
    }
  });

  it('stores, lists (scanning every master), locks and deletes across the cluster', async () => {
    const cache = open('ops:');
    for (const key of KEYS) await cache.set(key, record(`token-${key}`));
    for (const key of KEYS) assert.equal((await cache.get(key))?.token, `token-${key}`);
    // Each master holds some of the entries, and keys() finds all of them.
    const sizes = await Promise.all(
      cluster.nodes.map(async (n) => {
        const r = new Redis(n.port, '127.0.0.1');
        try {
          return await r.dbsize();
        } finally {
          r.disconnect();
        }
      }),
    );
    assert.ok(
      sizes.every((s) => s > 0),
      `entries on every master: ${sizes.join(', ')}`,
    );
    assert.deepEqual(await cache.keys(), [...KEYS].sort());
    assert.deepEqual(await open('ops:').keys(), [...KEYS].sort(), 'keys() as the first call of a new cache');
    // The lock (SET NX, Lua extend and token-checked release) works on the key's slot: no CROSSSLOT.
    let inside = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        cache.withLock('b}c', async () => {
          inside++;
          assert.equal(inside, 1);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    const probe = new Cluster(cluster.addresses);
    try {
      assert.equal(await probe.exists(cache.lockKey('b}c')), 0, 'the lock was released');
    } finally {
      probe.disconnect();
    }
    for (const key of KEYS) await cache.delete(key);
    assert.deepEqual(await cache.keys(), []);
  });

  it('takes the redis+cluster:// URL and an ioredis Cluster of your own (left open by close())', async () => {
    const byUrl = new RedisCache({ url: cluster.url, prefix: 'url:' });
    caches.push(byUrl);
    assert.equal(byUrl.endpoint, cluster.url);
    await byUrl.set('u', record('via-url'));
    const own = new Cluster(cluster.addresses);
    try {
      const mine = new RedisCache({ cluster: own, prefix: 'url:' });
      assert.equal((await mine.get('u'))?.token, 'via-url');
      await mine.close();
      assert.equal(await own.exists(byUrl.entryKey('u')), 1, 'the Cluster is still usable');
    } finally {
      own.disconnect();
    }
    assert.throws(() => new RedisCache({ url: 'redis+cluster://127.0.0.1:1/db' }), {
      code: 'ERR_CONFIG_INVALID',
    });
    assert.throws(() => new RedisCache({ url: 'redis+cluster://127.0.0.1' }), { code: 'ERR_CONFIG_INVALID' });
    assert.throws(() => new RedisCache({ cluster: [] }), { code: 'ERR_CONFIG_INVALID' });
    assert.throws(() => new RedisCache({ cluster: cluster.addresses, prefix: 'a{b}:' }), {
      code: 'ERR_CONFIG_INVALID',
    });
  });
});

describe('the CLI with a redis+cluster:// profile', () => {
  it('`tokensmith token -p fleet` stores in the cluster; a second run is served from it; `status` lists it', async () => {
    const client = emu.clients.confidential;
    const home = profileHome(
      [
        '[profiles.fleet]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${client.clientId}"`,
        `client_secret = "${client.clientSecret}"`,
        'cache = "redis"',
        `redis_url = "${cluster.url}"`,
        '',
      ].join('\n'),
    );
    try {
      emu.resetStats();
      const first = await runCli(['token', '-p', 'fleet'], { env: home.env });
      assert.equal(first.code, 0, first.stderr);
      const second = await runCli(['token', '-p', 'fleet'], { env: home.env });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout, first.stdout);
      assert.equal(emu.stats.tokenRequests, 1, 'the second run asked nobody but the cluster');
      const cache = new RedisCache({ url: cluster.url, encryptionKey: home.cacheKey });
      caches.push(cache);
      // keys() as the first call of a new cache: `tokensmith status` and forgetClient start so.
      const keys = await cache.keys();
      assert.equal(keys.length, 1);
      assert.equal((await cache.get(keys[0]!))?.token, first.stdout.trim());
      const status = await runCli(['status'], { env: home.env });
      assert.equal(status.code, 0, status.stderr);
      const row = status.stdout.split('\n').find((l) => l.startsWith('fleet '));
      assert.match(
        row ?? '',
        /oauth2 .* redis redis\+cluster:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/,
      );
    } finally {
      await rm(home.dir, { recursive: true, force: true });
    }
  });
});

const self = import.meta.url;
const workerPath = fileURLToPath(
  new URL(`./fixtures/fleet-worker.${self.endsWith('.ts') ? 'ts' : 'js'}`, self),
);

/** Start one fleet worker; resolves to its process and a promise of its `result` line. */
function spawnFleetWorker(config: FleetWorker) {
  const args = self.endsWith('.ts') ? ['--import', import.meta.resolve('tsx'), workerPath] : [workerPath];
  const child = spawn(process.execPath, [...args, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TOKENSMITH_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin?.on('error', () => {});
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const seen = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      lines.on('line', (l) => l.startsWith(prefix) && resolve(l));
      child.once('exit', (code) => reject(new Error(`worker exited ${code} before "${prefix}": ${stderr}`)));
    });
  const ready = seen('ready');
  const result = seen('result ');
  ready.catch(() => {});
  result.catch(() => {});
  return { child, ready, result };
}

describe('a fleet of 64 processes in 4 groups on the cluster', () => {
  it('an expired credential is renewed with exactly 1 token request; all 64 end with the same live token', async () => {
    const alice = emu.users[0]!;
    const client = emu.clients.confidential;
    const prefix = 'fleet:';
    const key = 'fleet:alice';
    const grant = { issuer: emu.issuer, clientId: client.clientId, clientSecret: client.clientSecret };
    // Seed the cluster with a credential (rotating refresh token) that has just expired.
    const cache = open(prefix);
    const provider = password({
      ...grant,
      username: alice.username,
      password: alice.password,
      scope: 'openid',
    });
    const first = await new TokenManager(provider, { cache, key }).getCredential();
    await cache.set(
      key,
      first.with({ expiresAt: Date.now() - 60_000, obtainedAt: Date.now() - 360_000 }).toRecord(),
    );
    emu.resetStats();

    const groups = await Promise.all([0, 1, 2, 3].map((g) => mkdtemp(join(root, `host-${g}-`))));
    const workers = Array.from({ length: 64 }, (_, i) =>
      spawnFleetWorker({
        url: cluster.url,
        prefix,
        dir: groups[i % 4]!,
        key,
        ...grant,
        username: alice.username,
        password: alice.password,
      }),
    );
    try {
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.child.stdin?.end('go\n');
      const results = (await Promise.all(workers.map((w) => w.result))).map(
        (l) => JSON.parse(l.slice('result '.length)) as { token: string; source: string },
      );
      assert.equal(emu.stats.tokenRequests, 1, 'exactly one token request for 64 processes');
      assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 }, 'one refresh, never refused, no new login');
      const tokens = new Set(results.map((r) => r.token));
      assert.equal(tokens.size, 1, 'all 64 processes hold the same token');
      const [token] = [...tokens] as [string];
      assert.notEqual(token, first.token);
      assert.deepEqual(
        results.map((r) => r.source).sort(),
        ['refresh', ...Array.from({ length: 63 }, () => 'cache')].sort(),
      );
      assert.equal((await cache.get(key))?.token, token);
      assert.equal(
        (await introspect(emu, token)).active,
        true,
        'the session survived: no refresh token reuse',
      );
      for (const dir of groups) {
        assert.deepEqual(
          (await readdir(dir)).filter((n) => n.endsWith('.lock')),
          [],
          'no host lock is left behind',
        );
      }
    } finally {
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    }
  });
});
