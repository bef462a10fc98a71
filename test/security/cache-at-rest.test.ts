/**
 * Issue 11, item 12: the CLI's cache at rest. Entries are encrypted with `TOKENSMITH_CACHE_KEY`, or
 * else with a key kept in the OS keyring; where neither is available the CLI stores plain entries
 * and says so once per cache folder (a notice file in the folder remembers it has been said).
 *
 * The test machine has no Secret Service; each CLI child is also pointed at a D-Bus address that
 * does not exist, so the keyring is unavailable whatever the host offers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CACHE_KEY_ENV,
  isSealed,
  type KeyringEntry,
  osKeyringEntry,
  PLAINTEXT_NOTICE_FILE,
  resolveEncryptionKey,
} from 'tokensmith/internal/cache/encryption.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { adhocToken, runCli } from '../helpers/cli.js';
import { type HostileServer, json, startHostileServer } from './hostile-server.js';

const NO_BUS = 'unix:path=/nonexistent/tokensmith-test-bus';

/** A keyring that works (in memory), or one that fails like a machine without a Secret Service. */
function keyring(available: boolean): KeyringEntry & { calls: number } {
  let value: string | null = null;
  const k = {
    calls: 0,
    async get() {
      k.calls++;
      if (!available) throw new Error('Platform failure: no Secret Service');
      return value;
    },
    async set(v: string) {
      k.calls++;
      if (!available) throw new Error('Platform failure: no Secret Service');
      value = v;
    },
  };
  return k;
}

describe("encryption key 'auto' (issue 11 item 12)", () => {
  const lines: string[] = [];
  const folder = () => mkdtempSync(join(tmpdir(), 'tokensmith-at-rest-'));
  const plainWarnings = () => lines.filter((l) => l.includes('UNENCRYPTED'));
  before(() => configureLogging({ level: 'warn', sink: (l) => lines.push(l) }));
  beforeEach(() => {
    lines.length = 0;
  });
  after(() => configureLogging({ level: 'warn', sink: (l) => process.stderr.write(`${l}\n`) }));

  it('no key and no keyring: plaintext, and the warning is given once per folder', async () => {
    const dir = folder();
    const other = folder();
    const deps = { env: {}, keyring: keyring(false), folder: dir };
    assert.equal(await resolveEncryptionKey('auto', deps), undefined);
    assert.equal(plainWarnings().length, 1);
    assert.match(plainWarnings()[0]!, new RegExp(`${CACHE_KEY_ENV}`));
    assert.equal(statSync(join(dir, PLAINTEXT_NOTICE_FILE)).mode & 0o777, 0o600);
    assert.equal(await resolveEncryptionKey('auto', deps), undefined);
    assert.equal(await resolveEncryptionKey('auto', { ...deps }), undefined);
    assert.equal(plainWarnings().length, 1, 'said once for this folder');
    await resolveEncryptionKey('auto', { ...deps, folder: other });
    assert.equal(plainWarnings().length, 2, 'and once for another folder');
  });

  it(`${CACHE_KEY_ENV} wins without consulting the keyring; a working keyring is used next`, async () => {
    const dir = folder();
    const key = randomBytes(32);
    const unused = keyring(true);
    const fromEnv = await resolveEncryptionKey('auto', {
      env: { [CACHE_KEY_ENV]: key.toString('base64') },
      keyring: unused,
      folder: dir,
    });
    assert.deepEqual(fromEnv, key);
    assert.equal(unused.calls, 0);
    const store = keyring(true);
    const generated = await resolveEncryptionKey('auto', { env: {}, keyring: store, folder: dir });
    assert.equal(generated?.length, 32);
    assert.deepEqual(await resolveEncryptionKey('auto', { env: {}, keyring: store, folder: dir }), generated);
    assert.deepEqual(plainWarnings(), []);
  });

  it('an encrypted folder forgets an old notice, so plain entries later are announced again', async () => {
    const dir = folder();
    await resolveEncryptionKey('auto', { env: {}, keyring: keyring(false), folder: dir });
    assert.ok(readdirSync(dir).includes(PLAINTEXT_NOTICE_FILE));
    await resolveEncryptionKey('auto', { env: {}, keyring: keyring(true), folder: dir });
    assert.ok(!readdirSync(dir).includes(PLAINTEXT_NOTICE_FILE));
    await resolveEncryptionKey('auto', { env: {}, keyring: keyring(false), folder: dir });
    assert.equal(plainWarnings().length, 2);
  });

  it('the OS keyring is unavailable without a Secret Service: reading it fails, it is not taken as empty', async () => {
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = NO_BUS;
    try {
      const entry = osKeyringEntry('tokensmith-test', 'unavailable-probe');
      await assert.rejects(entry.get());
      await assert.rejects(entry.set('never-stored-value'));
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });
});

describe('the CLI file cache at rest (issue 11 item 12)', () => {
  let server: HostileServer;
  let issued = 0;
  before(async () => {
    server = await startHostileServer();
    server.on('/token', () =>
      json({
        access_token: `at-rest-token-${++issued}-${randomBytes(8).toString('hex')}`,
        token_type: 'Bearer',
        expires_in: 600,
      }),
    );
  });
  after(() => server.close());

  const token = (cacheHome: string, env: Record<string, string> = {}) =>
    runCli(adhocToken(server.url('/token'), 'at-rest'), {
      env: {
        CS: 'at-rest-client-secret',
        XDG_CACHE_HOME: cacheHome,
        DBUS_SESSION_BUS_ADDRESS: NO_BUS,
        ...env,
      },
    });
  const entries = (dir: string) => readdirSync(dir).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));

  it('without a key or keyring: plain entries, announced on the first run only', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tokensmith-at-rest-cli-'));
    const dir = join(home, 'tokensmith');
    const first = await token(home);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr.match(/UNENCRYPTED/g)?.length, 1, first.stderr);
    assert.ok(first.stderr.includes(dir), 'the warning names the folder');
    const second = await token(home, { TOKENSMITH_LOG: 'warn' });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout, 'served from the cache');
    assert.equal(second.stderr, '', 'said once per folder, not on every run');
    const status = await runCli(['status', '--json'], {
      env: { XDG_CACHE_HOME: home, DBUS_SESSION_BUS_ADDRESS: NO_BUS },
    });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as unknown[]).length, 1);
    assert.equal(status.stderr, '');
    const [entry] = entries(dir);
    assert.equal(isSealed(JSON.parse(readFileSync(join(dir, entry!), 'utf8'))), false);
    assert.ok(readFileSync(join(dir, PLAINTEXT_NOTICE_FILE), 'utf8').includes(CACHE_KEY_ENV));
  });

  it(`with ${CACHE_KEY_ENV}: sealed entries, no warning, and status reads them`, async () => {
    const home = mkdtempSync(join(tmpdir(), 'tokensmith-at-rest-cli-'));
    const dir = join(home, 'tokensmith');
    const key = randomBytes(32).toString('base64');
    const run = await token(home, { [CACHE_KEY_ENV]: key });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const [entry] = entries(dir);
    const text = readFileSync(join(dir, entry!), 'utf8');
    assert.equal(isSealed(JSON.parse(text)), true);
    assert.ok(!text.includes(run.stdout.trim()));
    assert.ok(!readdirSync(dir).includes(PLAINTEXT_NOTICE_FILE));
    const status = await runCli(['status', '--json'], {
      env: { XDG_CACHE_HOME: home, DBUS_SESSION_BUS_ADDRESS: NO_BUS, [CACHE_KEY_ENV]: key },
    });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as unknown[]).length, 1);
  });

  it('a notice left in a folder that is now encrypted is removed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tokensmith-at-rest-cli-'));
    const dir = join(home, 'tokensmith');
    assert.equal((await token(home)).code, 0);
    assert.ok(readdirSync(dir).includes(PLAINTEXT_NOTICE_FILE));
    writeFileSync(join(dir, 'unrelated.txt'), 'kept');
    const run = await token(home, { [CACHE_KEY_ENV]: randomBytes(32).toString('hex') });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!readdirSync(dir).includes(PLAINTEXT_NOTICE_FILE));
    assert.ok(readdirSync(dir).includes('unrelated.txt'));
  });
});
