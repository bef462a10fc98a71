import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { openProfile } from '@tokensmith/cli/internal/config/build-source.js';
import { loadConfig, parseConfig, selectProfile } from '@tokensmith/cli/internal/config/profiles.js';
import { resolveSecretRef } from '@tokensmith/cli/internal/config/secret-ref.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';

const F = '/etc/ts.toml';

function configError(text: string, privateFile = true): TokensmithError {
  try {
    parseConfig(text, F, privateFile);
  } catch (err) {
    assert.ok(err instanceof TokensmithError);
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    return err;
  }
  assert.fail('expected ERR_CONFIG_INVALID');
}

describe('config file validation', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['syntax error with its line', 'a = 1\n[profiles.x\n', /^\/etc\/ts\.toml:2: invalid TOML/],
    ['unknown top-level key', 'colour = "red"\n', /:1: unknown top-level key "colour"/],
    [
      'unknown type',
      '[profiles.x]\ntype = "saml"\n',
      /:2: profile "x" key "type" must be one of oauth2, keycloak/,
    ],
    ['prototype name as type', '[profiles.x]\ntype = "toString"\n', /key "type" must be one of/],
    [
      'unknown key',
      '[profiles.x]\ntype = "kalliope"\nurl = "https://p"\nuser = "a"\n',
      /:4: profile "x" has unknown key "user" for type kalliope/,
    ],
    [
      'prototype name as key',
      '[profiles.x]\ntype = "kalliope"\nurl = "https://p"\nconstructor = 1\n',
      /unknown key "constructor"/,
    ],
    [
      'wrong type',
      '[profiles.k]\ntype = "kaltura-admin"\nservice_url = "https://k"\npartner_id = "12"\nadmin_secret = "env:S"\n',
      /:4: profile "k" key "partner_id" must be a number/,
    ],
    [
      'boolean expected',
      '[profiles.x]\ntype = "kalliope"\nurl = "https://p"\nallow_insecure_http = "yes"\n',
      /:4: .* must be a boolean/,
    ],
    [
      'missing required key',
      '[profiles.x]\ntype = "keycloak"\nbase_url = "https://k"\nclient_id = "c"\n',
      /profile "x" is missing key "realm"/,
    ],
    ['profile not a table', 'profiles = 3\n', /"profiles" must be a table/],
    [
      'redis password in a shared file',
      '[profiles.x]\ntype = "kalliope"\nurl = "https://p"\nredis_url = "redis://:pw@h:6379"\n',
      /:4: .* "redis_url" holds a password/,
    ],
  ];
  for (const [name, text, message] of cases) {
    it(`reports ${name}`, () => {
      const err = configError(text, !name.includes('shared'));
      assert.match(err.message, message);
    });
  }

  it('accepts literal secrets only in a private file, and never echoes them', () => {
    const text =
      '[profiles.x]\ntype = "oauth2"\nissuer = "https://i"\nclient_id = "c"\nclient_secret = "s3cr3t-literal-value"\n';
    const err = configError(text, false);
    assert.match(err.message, /:5: profile "x" key "client_secret" holds a literal secret/);
    assert.ok(!err.message.includes('s3cr3t-literal-value'));
    assert.ok(!inspect(err).includes('s3cr3t-literal-value'));
    const ok = parseConfig(text, F, true);
    assert.equal(ok.profiles.x?.values.client_secret, 's3cr3t-literal-value');
  });

  it('references are always accepted and resolved late', () => {
    const c = parseConfig(
      '[profiles.x]\ntype = "oauth2"\nissuer = "https://i"\nclient_id = "c"\nclient_secret = "env:X"\n',
      F,
      false,
    );
    assert.equal(c.profiles.x?.values.client_secret, 'env:X');
  });

  it('selects by flag, then TOKENSMITH_PROFILE, then default_profile', () => {
    const c = parseConfig(
      'default_profile = "b"\n[profiles.a]\ntype = "kalliope"\nurl = "https://a"\n[profiles.b]\ntype = "kalliope"\nurl = "https://b"\n',
      F,
      true,
    );
    const saved = process.env.TOKENSMITH_PROFILE;
    try {
      delete process.env.TOKENSMITH_PROFILE;
      assert.equal(selectProfile(c).name, 'b');
      process.env.TOKENSMITH_PROFILE = 'a';
      assert.equal(selectProfile(c).name, 'a');
      assert.equal(selectProfile(c, 'b').name, 'b');
      assert.throws(() => selectProfile(c, 'hasOwnProperty'), {
        code: 'ERR_CONFIG_INVALID',
        message: /known: a, b/,
      });
    } finally {
      if (saved === undefined) delete process.env.TOKENSMITH_PROFILE;
      else process.env.TOKENSMITH_PROFILE = saved;
    }
  });

  it('loadConfig reads the file mode: 0644 refuses a literal secret, 0600 accepts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-config-'));
    const file = join(dir, 'c.toml');
    writeFileSync(
      file,
      '[profiles.x]\ntype = "kalliope"\nurl = "https://p"\nusername = "u"\npassword = "pw-literal"\n',
    );
    chmodSync(file, 0o644);
    await assert.rejects(loadConfig(file), { code: 'ERR_CONFIG_INVALID', message: /:5: .*literal secret/ });
    chmodSync(file, 0o600);
    assert.equal((await loadConfig(file)).profiles.x?.privateFile, true);
    await assert.rejects(loadConfig(join(dir, 'missing.toml')), {
      code: 'ERR_CONFIG_INVALID',
      message: /ENOENT/,
    });
  });

  it('openProfile reports a bad grant and a bad session type with file and line', async () => {
    const c = parseConfig(
      '[profiles.x]\ntype = "oauth2"\nissuer = "https://i"\nclient_id = "c"\ngrant = "implicit"\n[profiles.k]\ntype = "kaltura-admin"\nservice_url = "https://k"\npartner_id = 1\nadmin_secret = "env:HOME"\nsession_type = "ROOT"\n',
      F,
      true,
    );
    await assert.rejects(openProfile(c.profiles.x!), {
      code: 'ERR_CONFIG_INVALID',
      message:
        /^\/etc\/ts\.toml:5: profile "x": unknown grant "implicit"; known grants: client_credentials, /,
    });
    await assert.rejects(openProfile(c.profiles.k!), {
      code: 'ERR_CONFIG_INVALID',
      message: /:11: profile "k": session_type must be USER or ADMIN/,
    });
  });
});

describe('secret references', () => {
  const origin = { file: F, line: 3, key: 'password' };
  it('env:, file: and cmd: resolve to the first line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-secret-'));
    writeFileSync(join(dir, 's'), 'from-file\nsecond line\n');
    process.env.TS_TEST_SECRET = 'from-env';
    assert.equal(await resolveSecretRef('env:TS_TEST_SECRET', origin), 'from-env');
    assert.equal(await resolveSecretRef(`file:${join(dir, 's')}`, origin), 'from-file');
    assert.equal(await resolveSecretRef("cmd:printf 'from-cmd\\nx'", origin), 'from-cmd');
  });

  const failures: Array<[string, RegExp]> = [
    [
      'env:TS_TEST_UNSET_VAR',
      /^\/etc\/ts\.toml:3: cannot read the env: secret of key "password" \(environment variable TS_TEST_UNSET_VAR is not set\)$/,
    ],
    ['file:/nonexistent/secret', /cannot read the file: secret of key "password" \(ENOENT/],
    ['cmd:exit 3', /cannot read the cmd: secret of key "password" \(Command failed/],
    ['keyring:noslash', /use keyring:SERVICE\/ACCOUNT/],
    ['vault:x', /unknown secret reference "vault:"/],
  ];
  for (const [ref, message] of failures) {
    it(`${ref.split(':')[0]}: failure is ERR_CONFIG_INVALID with the place`, async () => {
      await assert.rejects(resolveSecretRef(ref, origin), { code: 'ERR_CONFIG_INVALID', message });
    });
  }

  it('a failing command that printed the secret does not leak it through the error', async () => {
    process.env.TS_LEAK = 'leaked-secret-value';
    const err = await resolveSecretRef('cmd:printf "%s" "$TS_LEAK"; exit 1', origin).catch((e) => e);
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    assert.ok(!inspect(err, { depth: 10 }).includes('leaked-secret-value'));
  });
});
