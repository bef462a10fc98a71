import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { openProfile } from '@tokensmith/cli/internal/config/build-source.js';
import { parseConfig } from '@tokensmith/cli/internal/config/profiles.js';
import { fastRequest } from '@tokensmith/cli/internal/fast/argv.js';
import { warmProfile } from '@tokensmith/cli/internal/fast/profile-key.js';
import { sha256Hex } from '@tokensmith/cli/internal/fast/sha256.js';
import fc from 'fast-check';

/**
 * Issue #16 item 2, the parts of the CLI fast path that must agree with the full path exactly: the
 * entry file name (SHA-256 of the cache key), the cache key a profile gets, and which command lines
 * it takes on (all others go to the full argument parser).
 */

describe('fast path: SHA-256 of the cache key', () => {
  it('equals node:crypto for the padding edges and any text', () => {
    for (const text of [
      '',
      'abc',
      'a'.repeat(55),
      'a'.repeat(56),
      'a'.repeat(63),
      'a'.repeat(64),
      'é€😀'.repeat(33),
    ]) {
      assert.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'), `length ${text.length}`);
    }
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        assert.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('fast path: the cache key of a profile', () => {
  const toml = `
[profiles.plain]
type = "oauth2"
issuer = "https://id.example.com"
client_id = "app"
client_secret = "env:NEVER_READ"

[profiles.scoped]
type = "oauth2"
token_endpoint = "https://id.example.com/token"
client_id = "app"
client_secret = "cmd:exit 1"
scope = "read,  write  admin"
audience = "https://api.example.com"
resource = ["https://a.example.com", "https://b.example.com"]
refresh_window_seconds = 120
git_hosts = ["https://git.example.com"]

[profiles.person]
type = "oauth2"
issuer = "https://id.example.com"
client_id = "cli"
grant = "password"
username = "alice"
password = "keyring:tokensmith/alice"
scope = "openid profile"

[profiles.device]
type = "oauth2"
issuer = "http://127.0.0.1:8080"
client_id = "cli"
grant = "device_code"
resource = "https://one.example.com"

[profiles.kc]
type = "keycloak"
base_url = "https://sso.example.com/auth/"
realm = "my realm"
client_id = "svc"
client_secret = "env:NEVER_READ"
legacy_auth_prefix = true
`;
  const config = parseConfig(toml, '/etc/tokensmith/config.toml', true);

  it('is the key the full path gives its TokenManager, without resolving any secret', async () => {
    for (const profile of Object.values(config.profiles)) {
      const source = await openProfile(profile);
      assert.equal(source.kind, 'manager');
      if (source.kind !== 'manager') continue;
      const warm = warmProfile(profile);
      assert.deepEqual(
        warm,
        { key: source.manager.key, windowMs: source.manager.refreshWindowMs },
        profile.name,
      );
      await source.close();
    }
    assert.equal(
      warmProfile(config.profiles.scoped!)?.key,
      'profile:scoped|oauth2|https://id.example.com/token|app|client_credentials||read write admin|https://api.example.com|https://a.example.com,https://b.example.com',
    );
  });

  it('declines what it does not check itself: other types, caches and keys, values the full path refuses', () => {
    const declined = (extra: string, type = 'oauth2') =>
      warmProfile(
        parseConfig(
          `[profiles.x]\ntype = "${type}"\nissuer = "https://id.example.com"\nclient_id = "a"\n${extra}\n`,
          'c.toml',
          true,
        ).profiles.x!,
      );
    assert.equal(declined('cache = "memory"'), undefined);
    assert.equal(declined('cache = "redis"\nredis_url = "redis://127.0.0.1:1"'), undefined);
    assert.equal(declined('client_auth = "carrier_pigeon"'), undefined);
    assert.equal(declined('grant = "password"'), undefined, 'password grant without username and password');
    assert.equal(declined('username = "alice"\ngrant = "client_credentials"'), undefined);
    assert.equal(
      warmProfile(
        parseConfig('[profiles.k]\ntype = "kalliope"\nurl = "https://k.example.com"\n', 'c.toml', true)
          .profiles.k!,
      ),
      undefined,
    );
    // Refused by the OAuth client on a cache hit too: the caller falls back and the full path says so.
    const insecure = parseConfig(
      '[profiles.h]\ntype = "oauth2"\nissuer = "http://id.example.com"\nclient_id = "a"\n',
      'c.toml',
      true,
    );
    assert.throws(() => warmProfile(insecure.profiles.h!), { code: 'ERR_INSECURE_HTTP' });
  });
});

describe('fast path: the command lines it takes', () => {
  it('token with -p/--profile/--config/--format/--token-type access, git-credential get; nothing else', () => {
    assert.deepEqual(fastRequest(['token']), {
      command: 'token',
      profile: undefined,
      config: undefined,
      format: 'raw',
    });
    assert.deepEqual(fastRequest(['token', '-p', 'a', '--format=exec-credential', '--config', '/c.toml']), {
      command: 'token',
      profile: 'a',
      config: '/c.toml',
      format: 'exec-credential',
    });
    assert.deepEqual(fastRequest(['git-credential', '--config=/c.toml', 'get']), {
      command: 'git-credential-get',
      config: '/c.toml',
    });
    for (const args of [
      [],
      ['login'],
      ['token', '-pa'],
      ['token', '-p'],
      ['token', '-p', '--format'],
      ['token', '-p', 'a', '-p', 'b'],
      ['token', '--profile='],
      ['token', '--token-type', 'id'],
      ['token', '--force-refresh'],
      ['token', '--no-cache'],
      ['token', '--output', 'f'],
      ['token', '-v'],
      ['token', '--help'],
      ['token', 'extra'],
      ['token', '--', '-p'],
      ['token', '--issuer', 'https://id.example.com'],
      ['git-credential', 'store'],
      ['git-credential', 'erase'],
      ['git-credential'],
      ['git-credential', 'get', 'get'],
      ['-v', 'token'],
    ]) {
      assert.equal(fastRequest(args), undefined, args.join(' '));
    }
  });
});
