/**
 * Issue 14 item 4: `tokensmith exec -- CMD ARGS…` runs a real child process with the credential in
 * its environment (TOKEN; KS for a Kaltura session; KALLIOPE_URL, a signing loopback proxy, for
 * Kalliope), passes SIGINT and SIGTERM on and exits with the child's status (128 + signal when a
 * signal killed it). `token --format env` prints `export NAME=…` that a real `sh` evaluates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { cliArgs, cliEnv, repoRoot, runCli, spawnCli } from '../../../test/helpers/cli.js';
import { introspect } from '../../../test/helpers/introspect.js';
import { profileHome } from '../../../test/helpers/profile-home.js';
import { type HostileServer, json, startHostileServer } from '../../../test/security/hostile-server.js';

const sh = promisify(execFile);

/** Node running `code`, as the child command. */
const node = (code: string) => [process.execPath, '-e', code];

/** A word for `sh`, whatever it holds. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('tokensmith exec and --format env', () => {
  let emu: OidcEmulator;
  let kalliope: KalliopeEmulator;
  let hostile: HostileServer;
  let env: Record<string, string>;
  /** A token with every character a shell treats specially that a header may carry. */
  const NASTY = `a'b"c$d\`e\\f;g&h|i*j?k(l)m<n>o#p!q~r{s}t`;

  before(async () => {
    emu = await startOidcEmulator();
    kalliope = await startKalliopeEmulator({
      users: [{ domain: 'default', username: 'admin', password: 'pbx-Secret-77' }],
    });
    hostile = await startHostileServer();
    hostile.on('/token', () => json({ access_token: NASTY, token_type: 'Bearer', expires_in: 300 }));
    const home = profileHome(
      `[profiles.svc]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"

[profiles.nasty]
type = "oauth2"
token_endpoint = "${hostile.url('/token')}"
grant = "client_credentials"
client_id = "nasty"
client_secret = "env:SVC_SECRET"
cache = "memory"

[profiles.ks]
type = "kaltura-admin"
service_url = "https://www.kaltura.com"
partner_id = 4242
admin_secret = "env:KALTURA_SECRET"
local = true
cache = "memory"

[profiles.pbx]
type = "kalliope"
url = "${kalliope.url}/default"
username = "admin"
password = "env:PBX_PW"
`,
      'tokensmith-exec-',
    );
    env = {
      ...home.env,
      SVC_SECRET: emu.clients.confidential.clientSecret,
      KALTURA_SECRET: 'kaltura-admin-secret-for-exec-tests',
      PBX_PW: 'pbx-Secret-77',
    };
  });
  after(async () => {
    await emu.close();
    await kalliope.close();
    await hostile.close();
  });

  it('TOKEN holds a valid access token; the exit status is the command’s', async () => {
    const run = await runCli(
      ['exec', '-p', 'svc', '--', ...node('process.stdout.write(process.env.TOKEN)')],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await introspect(emu, run.stdout)).active, true);
    const token = await runCli(['token', '-p', 'svc'], { env });
    assert.equal(run.stdout, token.stdout.trim(), 'the cached token');
    const named = await runCli(
      [
        'exec',
        '-p',
        'svc',
        '--env',
        'API_TOKEN',
        '--',
        ...node('process.stdout.write(String(process.env.API_TOKEN) + "|" + String(process.env.TOKEN))'),
      ],
      { env: { ...env, TOKEN: undefined } },
    );
    assert.equal(named.stdout, `${run.stdout}|undefined`);
    const seven = await runCli(['exec', '-p', 'svc', '--', ...node('process.exit(7)')], { env });
    assert.equal(seven.code, 7);
    assert.equal(seven.stderr, '');
  });

  it('arguments reach the command as they are; a Kaltura profile gives KS', async () => {
    const run = await runCli(
      [
        'exec',
        '-p',
        'nasty',
        '--',
        ...node('process.stdout.write(JSON.stringify([process.env.TOKEN, ...process.argv.slice(1)]))'),
        '--',
        '--help',
        '$HOME',
        "it's",
      ],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [NASTY, '--help', '$HOME', "it's"]);
    const ks = await runCli(
      ['exec', '-p', 'ks', '--', ...node('process.stdout.write(String(process.env.KS))')],
      { env },
    );
    assert.equal(ks.code, 0, ks.stderr);
    assert.match(ks.stdout, /^djJ8|^[A-Za-z0-9_-]{40,}/, 'a KS');
    const decoded = await runCli(['decode', '--json', '--kaltura-secret-env', 'KALTURA_SECRET', '-'], {
      env,
      input: ks.stdout,
    });
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.equal(JSON.parse(decoded.stdout).partnerId, 4242);
  });

  it('a Kalliope profile gives KALLIOPE_URL, a loopback proxy that signs each request for the PBX', async () => {
    const script = `
      const base = process.env.KALLIOPE_URL;
      const a = await fetch(base + '/rest/account');
      const b = await fetch(base + '/rest/dashboard/firmwareVersion');
      process.stdout.write(JSON.stringify({ base, a: a.status, accounts: await a.json(), b: b.status }));`;
    const run = await runCli(
      ['exec', '-p', 'pbx', '--', process.execPath, '--input-type=module', '-e', script],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.match(out.base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      { a: out.a, accounts: out.accounts, b: out.b },
      { a: 200, accounts: [{ username: 'admin' }], b: 200 },
    );
    const id = await runCli(['exec', '-p', 'pbx', '--token-type', 'id', '--', 'true'], { env });
    assert.equal(id.code, 2);
    assert.match(id.stderr, /--token-type id needs a token; profile "pbx" signs each request/);
  });

  for (const [signal, status] of [
    ['SIGTERM', 42],
    ['SIGINT', 43],
  ] as const) {
    it(`${signal} is passed to the command, whose exit status (${status}) becomes tokensmith's`, async () => {
      const child = spawnCli(
        [
          'exec',
          '-p',
          'svc',
          '--',
          ...node(
            `process.on('${signal}', () => { process.stdout.write('got ${signal}\\n'); process.exit(${status}); });
             process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`,
          ),
        ],
        { env },
      );
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve, reject) => {
        void exited.then((code) => reject(new Error(`exited ${code} before the command was ready`)));
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.includes('ready\n')) resolve();
        });
      });
      child.kill(signal);
      assert.equal(await exited, status);
      assert.equal(stdout, `ready\ngot ${signal}\n`);
    });
  }

  it('a command killed by a signal: exit 128 + its number; a missing command: 127', async () => {
    const child = spawnCli(
      ['exec', '-p', 'svc', '--', ...node(`process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`)],
      {
        env,
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      void exited.then((code) => reject(new Error(`exited ${code} before the command was ready`)));
      child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    });
    child.kill('SIGTERM');
    assert.equal(await exited, 128 + 15);
    const killed = await runCli(
      ['exec', '-p', 'svc', '--', ...node(`process.kill(process.pid, 'SIGKILL')`)],
      { env },
    );
    assert.equal(killed.code, 128 + 9);
    const missing = await runCli(['exec', '-p', 'svc', '--', 'no-such-command-for-tokensmith-tests'], {
      env,
    });
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, 'tokensmith: cannot run "no-such-command-for-tokensmith-tests": ENOENT\n');
  });

  it('--format env: `eval` in a real sh sets the variable, whatever the token holds', async () => {
    const cli = [process.execPath, ...cliArgs()].map(quote).join(' ');
    const run = async (profile: string, more = '', variable = 'TOKEN') =>
      sh(
        'sh',
        ['-c', `eval "$(${cli} token -p ${profile} --format env${more})" && printf %s "$${variable}"`],
        {
          cwd: repoRoot,
          env: cliEnv({ env }),
        },
      );
    assert.equal((await run('nasty')).stdout, NASTY);
    const token = await runCli(['token', '-p', 'svc'], { env });
    assert.equal((await run('svc', ' --env MY_TOKEN', 'MY_TOKEN')).stdout, token.stdout.trim());
    const exported = await sh(
      'sh',
      ['-c', `eval "$(${cli} token -p svc --format env)" && sh -c 'printf %s "$TOKEN"'`],
      {
        cwd: repoRoot,
        env: cliEnv({ env }),
      },
    );
    assert.equal(exported.stdout, token.stdout.trim(), 'exported to child processes');
    const printed = await runCli(['token', '-p', 'ks', '--format', 'env'], { env });
    assert.match(printed.stdout, /^export KS=[\w|-]+\n$/);
    const bad = await runCli(['token', '-p', 'svc', '--format', 'env', '--env', 'NOT-A-NAME'], { env });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'tokensmith: --env must be a variable name (letters, digits, _; got "NOT-A-NAME")\n',
    );
  });
});
