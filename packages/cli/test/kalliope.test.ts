import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { HEADER_PATTERN } from 'tokensmith/internal/kalliope/index.js';
import { runCli, spawnCli } from '../../../test/helpers/cli.js';

const PASSWORD = 'cli-pw-1234';

/** `tokensmith ...args`; KALLIOPE_PASSWORD comes only from `env`, never from the developer's shell. */
const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { KALLIOPE_PASSWORD: undefined, ...env } });

/** One line: the header name, then a value matching the official regex in full. */
const LINE = new RegExp(`^X-authenticate: ${HEADER_PATTERN.source.slice(1, -1)}\\n$`);

describe('tokensmith kalliope header', () => {
  let emu: KalliopeEmulator;
  before(async () => {
    emu = await startKalliopeEmulator({
      users: [{ domain: 'default', username: 'admin', password: PASSWORD }],
    });
  });
  after(() => emu.close());

  it('prints exactly one header line (password from KALLIOPE_PASSWORD) that the emulator accepts', async () => {
    const r = await run(['kalliope', 'header', '--url', emu.url, '--username', 'admin'], {
      KALLIOPE_PASSWORD: PASSWORD,
    });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.match(r.stdout, LINE);
    const value = r.stdout.trim().slice('X-authenticate: '.length);
    const res = await fetch(`${emu.url}/rest/account`, { headers: { 'x-authenticate': value } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), [{ username: 'admin' }]);
  });

  it('takes the password from --password-env or from the connection string', async () => {
    const viaEnv = await run(
      [
        'kalliope',
        'header',
        '--url',
        `${emu.url}/default`,
        '--username',
        'admin',
        '--password-env',
        'MY_PBX_PW',
      ],
      {
        MY_PBX_PW: PASSWORD,
      },
    );
    assert.equal(viaEnv.code, 0);
    assert.match(viaEnv.stdout, LINE);
    const inUrl = `http://admin:${PASSWORD}@${new URL(emu.url).host}`;
    const viaUrl = await run(['kalliope', 'header', '--url', inUrl]);
    assert.equal(viaUrl.code, 0);
    assert.match(viaUrl.stdout, LINE);
    assert.match(viaUrl.stderr, /password inside --url is visible/);
    assert.ok(!viaUrl.stderr.includes(PASSWORD));
  });

  it('--json prints one JSON document', async () => {
    const r = await run(['kalliope', 'header', '--url', emu.url, '--username', 'admin', '--json'], {
      KALLIOPE_PASSWORD: PASSWORD,
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.split('\n').length, 2);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), [
      'baseUrl',
      'clockOffsetMs',
      'created',
      'domain',
      'name',
      'nonce',
      'username',
      'value',
    ]);
    assert.equal(doc.name, 'X-authenticate');
    assert.equal(doc.baseUrl, emu.url);
    assert.equal(doc.domain, 'default');
    assert.equal(doc.clockOffsetMs, 0);
    assert.match(doc.value as string, HEADER_PATTERN);
  });

  const usage: Array<[string, string[], Record<string, string>, RegExp]> = [
    [
      'a missing --url',
      ['kalliope', 'header', '--username', 'admin'],
      { KALLIOPE_PASSWORD: PASSWORD },
      /required option '--url/,
    ],
    [
      'a --password flag',
      ['kalliope', 'header', '--url', 'http://127.0.0.1:1', '--password', 'x'],
      {},
      /unknown option '--password'/,
    ],
    [
      'a missing password variable',
      ['kalliope', 'header', '--url', 'http://127.0.0.1:1', '--username', 'admin'],
      {},
      /KALLIOPE_PASSWORD/,
    ],
    [
      'a missing --username',
      ['kalliope', 'header', '--url', 'http://127.0.0.1:1'],
      { KALLIOPE_PASSWORD: PASSWORD },
      /--username is required/,
    ],
    [
      'credentials twice',
      ['kalliope', 'header', '--url', 'http://a:pw-1234@127.0.0.1:1', '--username', 'a'],
      {},
      /already has credentials/,
    ],
    [
      'a bad connection string',
      ['kalliope', 'header', '--url', '127.0.0.1:8080'],
      {},
      /ERR_CONFIG_INVALID: .*missing host/,
    ],
  ];
  for (const [name, args, env, stderr] of usage) {
    it(`exits 2 with nothing on stdout for ${name}`, async () => {
      const r = await run(args, env);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, stderr);
    });
  }

  it('exits 1 with ERR_KALLIOPE_AUTH for an unknown tenant domain', async () => {
    const r = await run(['kalliope', 'header', '--url', `${emu.url}/nope`, '--username', 'admin'], {
      KALLIOPE_PASSWORD: PASSWORD,
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /ERR_KALLIOPE_AUTH: Kalliope salt endpoint answered 404 for tenant domain "nope"/);
  });
});

describe('tokensmith emulate kalliope', () => {
  it('prints connection details that `kalliope header` can use, and stops on SIGTERM with exit code 0', async () => {
    const child = spawnCli(['emulate', 'kalliope', '--domain', 't1']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.split('\n').length > 3) resolve();
        });
        child.on('exit', () => reject(new Error(`emulator exited early: ${stdout}`)));
      });
      const lines = stdout.trim().split('\n');
      assert.equal(lines.length, 3);
      const env = Object.fromEntries(lines.map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
      assert.match(env.KALLIOPE_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+\/t1$/);
      assert.equal(env.KALLIOPE_USERNAME, 'admin');
      assert.match(env.KALLIOPE_PASSWORD ?? '', /^[A-Za-z0-9_-]{16}$/);

      const r = await run(['kalliope', 'header', '--url', env.KALLIOPE_URL!, '--username', 'admin'], {
        KALLIOPE_PASSWORD: env.KALLIOPE_PASSWORD!,
      });
      assert.equal(r.code, 0);
      assert.match(r.stdout, LINE);
      const value = r.stdout.trim().slice('X-authenticate: '.length);
      const res = await fetch(`${new URL(env.KALLIOPE_URL!).origin}/rest/account`, {
        headers: { 'x-authenticate': value },
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
