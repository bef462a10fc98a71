import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import {
  CACHE_KEY_ENV,
  decodeEntry,
  encodeEntry,
  type KeyringEntry,
  parseEncryptionKey,
  resolveEncryptionKey,
  seal,
  unseal,
} from 'tokensmith/internal/cache/encryption.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { captureLogs } from './fixtures/logs.js';

const logs = captureLogs();
beforeEach(() => {
  logs.length = 0;
});

/** An in-memory keyring that counts writes; `broken` makes every call fail like a locked store. */
function fakeKeyring(broken = false): KeyringEntry & { value: string | null; writes: number } {
  const k = {
    value: null as string | null,
    writes: 0,
    async get() {
      if (broken) throw new Error('no secret service on this bus');
      return k.value;
    },
    async set(value: string) {
      if (broken) throw new Error('no secret service on this bus');
      k.writes++;
      k.value = value;
    },
  };
  return k;
}

describe('cache encryption', () => {
  it('parses 32-byte keys as hex, base64 or base64url and rejects other lengths without echoing them', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseEncryptionKey(key.toString('hex')), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64')), key);
    assert.deepEqual(parseEncryptionKey(` ${key.toString('base64url')}\n`), key);
    for (const bad of [
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('hex'),
      'not a key!',
      '',
    ]) {
      assert.throws(
        () => parseEncryptionKey(bad),
        (e: TokensmithError) =>
          e.code === 'ERR_CONFIG_INVALID' &&
          e.message.includes(CACHE_KEY_ENV) &&
          (!bad || !e.message.includes(bad)),
      );
    }
  });

  it('seals with AES-256-GCM bound to its slot: wrong key, wrong slot or any change fails', () => {
    const key = randomBytes(32);
    const doc = seal('{"token":"secret-value"}', key, 'slot-a');
    assert.equal(unseal(doc, key, 'slot-a'), '{"token":"secret-value"}');
    assert.ok(!JSON.stringify(doc).includes('secret-value'));
    assert.notEqual(seal('same', key, 'x').iv, seal('same', key, 'x').iv, 'a fresh IV every time');
    const altered = { ...doc, tag: Buffer.from(doc.tag, 'base64').fill(0, 0, 1).toString('base64') };
    for (const [k, d, aad] of [
      [randomBytes(32), doc, 'slot-a'],
      [key, doc, 'slot-b'],
      [key, altered, 'slot-a'],
    ] as const) {
      assert.throws(() => unseal(d, k, aad), { code: 'ERR_CACHE_CORRUPT' });
    }
  });

  it('encodes entries and refuses ones for another key or with a malformed record', () => {
    const record = { v: 1 as const, kind: 't', token: 'tok-123', tokenType: 'Bearer', obtainedAt: 1 };
    for (const key of [undefined, randomBytes(32)]) {
      const text = encodeEntry('k', record, key, 'slot');
      assert.deepEqual(decodeEntry(text, 'k', key, 'slot'), { key: 'k', record });
      assert.throws(() => decodeEntry(text, 'other', key, 'slot'), { code: 'ERR_CACHE_CORRUPT' });
    }
    const bad = JSON.stringify({ v: 1, key: 'k', record: { ...record, obtainedAt: 'yesterday' } });
    assert.throws(() => decodeEntry(bad, 'k', undefined, 'slot'), { code: 'ERR_CACHE_CORRUPT' });
  });

  it("'keyring' generates a key once, stores it in the keyring and reuses it", async () => {
    const keyring = fakeKeyring();
    let locked = 0;
    const withLock = async <T>(fn: () => Promise<T>) => {
      locked++;
      return fn();
    };
    const first = await resolveEncryptionKey('keyring', { keyring, withLock, env: {} });
    const second = await resolveEncryptionKey('keyring', { keyring, withLock, env: {} });
    assert.equal(first?.length, 32);
    assert.deepEqual(second, first);
    assert.equal(keyring.writes, 1);
    assert.equal(locked, 1, 'generation happens under the lock');
    assert.equal(logs.filter((l) => l.includes(' warn ')).length, 0);
  });

  it("'keyring' without a usable keyring falls back with a warning: to the env key, else to plaintext", async () => {
    const envKey = randomBytes(32);
    const viaEnv = await resolveEncryptionKey('keyring', {
      keyring: fakeKeyring(true),
      env: { [CACHE_KEY_ENV]: envKey.toString('hex') },
    });
    assert.deepEqual(viaEnv, envKey);
    const plain = await resolveEncryptionKey('keyring', { keyring: fakeKeyring(true), env: {} });
    assert.equal(plain, undefined);
    const warnings = logs.filter((l) => l.includes(' warn '));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /instead/);
    assert.match(warnings[1] ?? '', /UNENCRYPTED/);
  });

  it("'env' needs the variable, the default uses it when set, 'none' and Buffers are taken as they are", async () => {
    const key = randomBytes(32);
    const env = { [CACHE_KEY_ENV]: key.toString('base64') };
    assert.deepEqual(await resolveEncryptionKey('env', { env }), key);
    assert.deepEqual(await resolveEncryptionKey(undefined, { env }), key);
    assert.equal(await resolveEncryptionKey(undefined, { env: {} }), undefined);
    assert.equal(await resolveEncryptionKey('none', { env }), undefined);
    assert.deepEqual(await resolveEncryptionKey(key, { env: {} }), key);
    await assert.rejects(resolveEncryptionKey('env', { env: {} }), { code: 'ERR_CONFIG_INVALID' });
    await assert.rejects(resolveEncryptionKey(undefined, { env: { [CACHE_KEY_ENV]: 'short' } }), {
      code: 'ERR_CONFIG_INVALID',
    });
  });
});
