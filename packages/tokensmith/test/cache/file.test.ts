import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CACHE_KEY_ENV } from 'tokensmith/internal/cache/encryption.js';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import type { CredentialRecord } from 'tokensmith/internal/core/credential.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { httpProvider } from './fixtures/http-provider.js';
import { captureLogs } from './fixtures/logs.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';

const logs = captureLogs();
let root: string;
let server: TokenServer;

const record = (token: string, extra: Partial<CredentialRecord> = {}): CredentialRecord => ({
  v: 1,
  kind: 'test',
  token,
  tokenType: 'Bearer',
  obtainedAt: Date.now(),
  expiresAt: Date.now() + 3_600_000,
  refreshToken: `refresh-of-${token}`,
  clientId: 'client-a',
  ...extra,
});

const newDir = async () => join(root, randomBytes(4).toString('hex'), 'tokensmith');
const mode = async (path: string) => (await stat(path)).mode & 0o777;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokensmith-file-'));
  server = await startTokenServer({ delayMs: 0 });
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  logs.length = 0;
});

describe('FileCache', () => {
  it('stores, lists and deletes entries, one file per key named by its hash', async () => {
    const cache = new FileCache({ dir: await newDir() });
    assert.equal(await cache.get('k1'), undefined);
    await cache.set('k1', record('token-one'));
    await cache.set('profile:with/odd chars?', record('token-two'));
    assert.equal((await cache.get('k1'))?.token, 'token-one');
    assert.deepEqual(await cache.keys(), ['k1', 'profile:with/odd chars?'].sort());
    assert.match(cache.fileFor('profile:with/odd chars?'), /[0-9a-f]{64}\.json$/);
    await cache.delete('k1');
    await cache.delete('k1'); // absent: no error
    assert.deepEqual(await cache.keys(), ['profile:with/odd chars?']);
  });

  it('creates the folder 0700 and files 0600, and tightens a folder that is too open', async () => {
    const dir = await newDir();
    const cache = new FileCache({ dir });
    await cache.set('k', record('token-modes'));
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(cache.fileFor('k')), 0o600);
    await cache.withLock('k', async () => {
      const lock = (await readdir(dir)).find((n) => n.endsWith('.lock'));
      assert.ok(lock, 'a lock file exists while the lock is held');
      assert.equal(await mode(join(dir, lock)), 0o600);
      const owner = JSON.parse(await readFile(join(dir, lock), 'utf8'));
      assert.equal(owner.pid, process.pid);
      assert.equal(typeof owner.hostname, 'string');
      assert.equal(typeof owner.createdAt, 'number');
    });
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith('.lock')),
      [],
      'the lock file is gone after release',
    );

    const open = await newDir();
    await mkdir(open, { recursive: true });
    await chmod(open, 0o755);
    await new FileCache({ dir: open }).set('k', record('token-open'));
    assert.equal(await mode(open), 0o700);
    assert.equal(logs.filter((l) => l.includes('tightened')).length, 1);
  });

  it('reports a corrupt file as ERR_CACHE_CORRUPT, treats it as a miss and replaces it', async () => {
    const dir = await newDir();
    const cache = new FileCache({ dir });
    const manager = new TokenManager(
      httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'client-a', cacheKey: 'corrupt-key' }),
      { cache },
    );
    await cache.set('corrupt-key', record('token-before'));
    const file = cache.fileFor('corrupt-key');
    const garbage = [
      '{"v":1,"key":"corrupt-key","record":{"v":1,"tok',
      '\u0000\u0000\u0000',
      'null',
      '{"v":1}',
    ];
    for (const [i, text] of garbage.entries()) {
      await writeFile(file, text);
      logs.length = 0;
      assert.equal(await cache.get('corrupt-key'), undefined, `garbage #${i} reads as a miss`);
      assert.equal(
        logs.filter((l) => l.includes('ERR_CACHE_CORRUPT')).length,
        1,
        `garbage #${i} is reported`,
      );
    }
    server.resetCounts();
    const credential = await manager.getCredential();
    assert.equal(manager.lastSource, 'acquire');
    assert.equal(server.counts.acquired, 1);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(stored.record.token, credential.token, 'the corrupt file was replaced');
    assert.equal(await mode(file), 0o600);
    // The manager read it twice more: once lock-free, once again under the lock.
    assert.equal(cache.stats.corruptEntries, garbage.length + 2);
    assert.ok(!logs.join('\n').includes(credential.token), 'no token in the log');
  });

  it("refuses another key's entry copied over this one", async () => {
    const cache = new FileCache({ dir: await newDir() });
    await cache.set('a', record('token-a'));
    await cache.set('b', record('token-b'));
    await rename(cache.fileFor('a'), cache.fileFor('b'));
    assert.equal(await cache.get('b'), undefined);
    assert.equal(logs.filter((l) => l.includes('ERR_CACHE_CORRUPT') && l.includes('another key')).length, 1);
  });

  it('encrypts at rest: the file holds no token text; a wrong key or an edit is a reported miss', async () => {
    const dir = await newDir();
    const key = randomBytes(32);
    const cache = new FileCache({ dir, encryptionKey: key });
    assert.equal(await cache.encrypted(), true);
    const secret = record(`access-${randomBytes(8).toString('hex')}`, {
      idToken: `id-${randomBytes(8).toString('hex')}`,
    });
    await cache.set('enc', secret);
    const raw = await readFile(cache.fileFor('enc'), 'utf8');
    for (const text of [secret.token, secret.refreshToken, secret.idToken, 'client-a', 'enc"']) {
      assert.ok(!raw.includes(text as string), `the file does not contain ${text}`);
    }
    assert.equal(await mode(cache.fileFor('enc')), 0o600);
    assert.equal((await cache.get('enc'))?.token, secret.token);
    assert.deepEqual(await cache.keys(), ['enc']);

    const readers = [
      new FileCache({ dir, encryptionKey: randomBytes(32) }),
      new FileCache({ dir, encryptionKey: 'none' }),
    ];
    for (const reader of readers) assert.equal(await reader.get('enc'), undefined);
    const doc = JSON.parse(raw);
    doc.data = Buffer.from(doc.data, 'base64').fill(1, 3, 4).toString('base64');
    await writeFile(cache.fileFor('enc'), JSON.stringify(doc));
    assert.equal(await cache.get('enc'), undefined, 'an altered file is a miss');
    // A plaintext file where encryption is on is not trusted either.
    await new FileCache({ dir, encryptionKey: 'none' }).set('enc', secret);
    assert.equal(await cache.get('enc'), undefined);
    assert.equal(logs.filter((l) => l.includes('ERR_CACHE_CORRUPT')).length, 4);
    await cache.set('enc', secret);
    assert.equal((await cache.get('enc'))?.token, secret.token, 'replaced by the next write');
    assert.ok(!logs.join('\n').includes(secret.token));
  });

  it(`takes the key from ${CACHE_KEY_ENV} (base64 or hex), and rejects a key of the wrong length`, async () => {
    const saved = process.env[CACHE_KEY_ENV];
    try {
      const key = randomBytes(32);
      for (const text of [key.toString('base64'), key.toString('hex')]) {
        process.env[CACHE_KEY_ENV] = text;
        const dir = await newDir();
        const byDefault = new FileCache({ dir });
        assert.equal(await byDefault.encrypted(), true, 'encrypts by default when the variable is set');
        await byDefault.set('k', record('token-env'));
        assert.ok(!(await readFile(byDefault.fileFor('k'), 'utf8')).includes('token-env'));
        assert.equal((await new FileCache({ dir, encryptionKey: key }).get('k'))?.token, 'token-env');
      }
      process.env[CACHE_KEY_ENV] = randomBytes(16).toString('base64');
      assert.throws(
        () => new FileCache({ dir: root, encryptionKey: 'env' }),
        (e: TokensmithError) =>
          e.code === 'ERR_CONFIG_INVALID' && !e.message.includes(process.env[CACHE_KEY_ENV] as string),
      );
      delete process.env[CACHE_KEY_ENV];
      assert.throws(() => new FileCache({ dir: root, encryptionKey: 'env' }), { code: 'ERR_CONFIG_INVALID' });
      assert.throws(() => new FileCache({ dir: root, encryptionKey: randomBytes(31) }), {
        code: 'ERR_CONFIG_INVALID',
      });
      assert.equal(await new FileCache({ dir: await newDir() }).encrypted(), false);
    } finally {
      if (saved === undefined) delete process.env[CACHE_KEY_ENV];
      else process.env[CACHE_KEY_ENV] = saved;
    }
  });

  it('removes temp files left by writers that died, and keeps live ones', async () => {
    const dir = await newDir();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const hash = 'a'.repeat(64);
    const dead = `${hash}.2147483000.abcdef.tmp`;
    const mine = `${hash}.${process.pid}.abcdef.tmp`;
    await writeFile(join(dir, dead), '{"half');
    await writeFile(join(dir, mine), '{"half');
    await new FileCache({ dir }).keys();
    const left = await readdir(dir);
    assert.ok(!left.includes(dead));
    assert.ok(left.includes(mine));
  });

  it('rejects bad options with ERR_CONFIG_INVALID', () => {
    assert.throws(() => new FileCache({ dir: root, staleLockMs: 0 }), { code: 'ERR_CONFIG_INVALID' });
    assert.throws(() => new FileCache({ dir: root, lockWaitMs: Number.NaN }), { code: 'ERR_CONFIG_INVALID' });
    assert.throws(() => new FileCache({ dir: root, encryptionKey: 'rot13' as never }), {
      code: 'ERR_CONFIG_INVALID',
    });
  });

  it('a folder it cannot create is ERR_CACHE_UNAVAILABLE', async () => {
    const file = join(root, 'plain-file');
    await writeFile(file, 'x');
    await assert.rejects(new FileCache({ dir: join(file, 'sub') }).get('k'), {
      code: 'ERR_CACHE_UNAVAILABLE',
    });
  });
});
