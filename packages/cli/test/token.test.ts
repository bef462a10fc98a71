import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { runCli } from '../../../test/helpers/cli.js';
import { startTokenApi } from '../../../test/helpers/token-api.js';

describe('tokensmith token (ad-hoc flags)', () => {
  let emu: OidcEmulator;
  let env: Record<string, string>;
  let base: string[];
  before(async () => {
    emu = await startOidcEmulator();
    env = {
      DEMO_CLIENT_SECRET: emu.clients.confidential.clientSecret,
      DEMO_PASSWORD: emu.users[0]!.password,
    };
    base = [
      'token',
      '--issuer',
      emu.issuer,
      '--client-id',
      emu.clients.confidential.clientId,
      '--client-secret-env',
      'DEMO_CLIENT_SECRET',
    ];
  });
  after(() => emu.close());

  it('prints only the token on stdout, usable in a real request', async () => {
    const run = await runCli(base, { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[\w-]{20,}\n$/);
    const api = await startTokenApi();
    try {
      const res = await fetch(api.url, { headers: { authorization: `Bearer ${run.stdout.trim()}` } });
      assert.equal(res.status, 200);
    } finally {
      await api.close();
    }
  });

  it('--format json has token, type, expiry and scope but never a refresh token', async () => {
    const run = await runCli(
      [
        ...base,
        '--grant',
        'password',
        '--username',
        'alice',
        '--password-env',
        'DEMO_PASSWORD',
        '--scope',
        'openid profile',
        '--format',
        'json',
      ],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    const j = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(j).sort(), ['expiresAt', 'expiresIn', 'scope', 'token', 'type']);
    assert.equal(j.type, 'Bearer');
    assert.equal(j.scope, 'openid profile');
    assert.ok(j.expiresIn > 290 && j.expiresIn <= 300);
  });

  it('--format header and exec-credential', async () => {
    const header = await runCli([...base, '--format', 'header'], { env });
    assert.match(header.stdout, /^Authorization: Bearer [\w-]+\n$/);
    const exec = await runCli([...base, '--format', 'exec-credential'], { env });
    const j = JSON.parse(exec.stdout);
    assert.equal(j.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(j.kind, 'ExecCredential');
    assert.match(j.status.token, /^[\w-]+$/);
    assert.ok(Date.parse(j.status.expirationTimestamp) > Date.now());
  });

  it('reads the password from stdin', async () => {
    const run = await runCli([...base, '--username', 'alice', '--password-stdin'], {
      env,
      input: `${env.DEMO_PASSWORD}\n`,
    });
    assert.equal(run.code, 0, run.stderr);
  });

  it('exit 2 on usage errors, exit 1 with a code and no secret on server refusal', async () => {
    const usage = await runCli(['token', '--format', 'xml'], { env });
    assert.equal(usage.code, 2);
    const missing = await runCli(['token', '--issuer', emu.issuer], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--client-id is required/);
    const noEnv = await runCli([...base.slice(0, -2), '--client-secret-env', 'UNSET_VARIABLE_X'], { env });
    assert.equal(noEnv.code, 2);
    const wrong = await runCli(
      [...base, '--no-cache', '--grant', 'password', '--username', 'alice', '--password-env', 'WRONG'],
      {
        env: { ...env, WRONG: 'not-alice-password-123' },
      },
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /ERR_OAUTH_INVALID_GRANT/);
    assert.equal(wrong.stdout, '');
    for (const r of [usage, missing, noEnv, wrong]) {
      for (const secret of [env.DEMO_CLIENT_SECRET!, 'not-alice-password-123']) {
        assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
      }
    }
  });

  it('--help lists the flags and takes no secret flag', async () => {
    const help = await runCli(['token', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--client-secret-env <VAR>/);
    assert.doesNotMatch(help.stdout, /--client-secret </);
    assert.doesNotMatch(help.stdout, /--password </);
  });

  it('--verbose logs the token endpoint exchange, redacted', async () => {
    const run = await runCli(
      [
        '--verbose',
        ...base,
        '--no-cache',
        '--grant',
        'password',
        '--username',
        'alice',
        '--password-env',
        'DEMO_PASSWORD',
      ],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /→ POST .*\/token/);
    assert.match(run.stderr, /← 200 POST/);
    const token = run.stdout.trim();
    for (const secret of [token, env.DEMO_PASSWORD!, env.DEMO_CLIENT_SECRET!]) {
      assert.ok(!run.stderr.includes(secret), 'a secret leaked into the debug log');
    }
  });
});

describe('tokensmith token with the file cache', () => {
  it('a second run reuses the cached token without a token request; --no-cache does not', async () => {
    const emu = await startOidcEmulator();
    try {
      const env = { CS: emu.clients.confidential.clientSecret };
      const args = [
        'token',
        '--issuer',
        emu.issuer,
        '--client-id',
        emu.clients.confidential.clientId,
        '--client-secret-env',
        'CS',
      ];
      const first = await runCli(args, { env });
      const second = await runCli(args, { env });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.stdout, first.stdout);
      assert.equal(emu.stats.tokenRequests, 1);
      const third = await runCli([...args, '--no-cache'], { env });
      assert.notEqual(third.stdout, first.stdout);
      assert.equal(emu.stats.tokenRequests, 2);
    } finally {
      await emu.close();
    }
  });
});
