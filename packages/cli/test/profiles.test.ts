import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { cliArgs, runCli } from '../../../test/helpers/cli.js';
import { startTokenApi } from '../../../test/helpers/token-api.js';

const sh = promisify(execFile);

/** A private config and cache home for one scenario, with a config file written at mode 0600. */
function home(config: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tokensmith-profiles-'));
  mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
  const file = join(dir, 'config', 'tokensmith', 'config.toml');
  writeFileSync(file, config);
  chmodSync(file, 0o600);
  return { XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache'), file };
}

describe('tokensmith with profiles (OIDC emulator)', () => {
  let emu: OidcEmulator;
  let kalliope: KalliopeEmulator;
  let env: Record<string, string>;
  let paths: ReturnType<typeof home>;
  before(async () => {
    emu = await startOidcEmulator();
    kalliope = await startKalliopeEmulator({
      users: [{ domain: 'default', username: 'admin', password: 'pbx-Secret-77' }],
    });
    paths = home(`default_profile = "svc"

[profiles.svc]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"

[profiles.alice]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "password"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
username = "alice"
password = "cmd:printf '%s' \\"$ALICE_PW\\""
scope = "openid offline_access"

[profiles.pbx]
type = "kalliope"
url = "${kalliope.url}/default"
username = "admin"
password = "env:PBX_PW"
`);
    env = {
      XDG_CONFIG_HOME: paths.XDG_CONFIG_HOME,
      XDG_CACHE_HOME: paths.XDG_CACHE_HOME,
      SVC_SECRET: emu.clients.confidential.clientSecret,
      ALICE_PW: emu.users[0]!.password,
      PBX_PW: 'pbx-Secret-77',
    };
  });
  after(async () => {
    await emu.close();
    await kalliope.close();
  });

  it('$(tokensmith token --profile svc) works in a real HTTP request from a shell', async () => {
    const api = await startTokenApi();
    try {
      const cli = [process.execPath, ...cliArgs()].map((a) => `'${a}'`).join(' ');
      const script = `TOKEN=$(${cli} token --profile svc) && curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" '${api.url}'`;
      const { stdout } = await sh('/bin/sh', ['-c', script], {
        env: { ...process.env, ...env, NO_COLOR: '1' },
      });
      assert.equal(stdout, '200');
      assert.equal(api.seen.length, 1);
      assert.match(api.seen[0]!.auth ?? '', /^Bearer [\w-]{20,}$/);
    } finally {
      await api.close();
    }
  });

  it('uses default_profile, then TOKENSMITH_PROFILE, and reuses the file cache', async () => {
    emu.resetStats();
    const fresh = { ...env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tokensmith-cache-')) };
    const first = await runCli(['token'], { env: fresh });
    const second = await runCli(['token'], { env: fresh });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.equal(emu.stats.tokenRequests, 1);
    const viaEnv = await runCli(['token', '--format', 'json'], {
      env: { ...fresh, TOKENSMITH_PROFILE: 'alice' },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(JSON.parse(viaEnv.stdout).scope, 'openid offline_access');
    assert.equal(emu.stats.byGrant.password, 1);
  });

  it('exec-credential output has the Kubernetes ExecCredential shape', async () => {
    const run = await runCli(['token', '-p', 'svc', '--format', 'exec-credential'], { env });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(doc).sort(), ['apiVersion', 'kind', 'status']);
    assert.equal(doc.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(doc.kind, 'ExecCredential');
    assert.deepEqual(Object.keys(doc.status).sort(), ['expirationTimestamp', 'token']);
    assert.match(doc.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Date.parse(doc.status.expirationTimestamp) > Date.now());
  });

  it('login, status and logout: revokes at the server and forgets, never printing a token', async () => {
    const login = await runCli(['login', '-p', 'alice', '--force', '--json'], { env });
    assert.equal(login.code, 0, login.stderr);
    const summary = JSON.parse(login.stdout);
    assert.equal(summary.profile, 'alice');
    assert.equal(summary.user, 'alice');
    assert.equal(summary.obtained, 'acquire');
    assert.equal(summary.stored, 'file');
    assert.equal(summary.token, undefined);

    const status = await runCli(['status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const rows = JSON.parse(status.stdout) as Array<Record<string, string>>;
    const alice = rows.find((r) => r.profile === 'alice');
    assert.ok(alice, status.stdout);
    assert.equal(alice.kind, 'oauth2');
    assert.equal(alice.user, 'alice');
    assert.match(alice.expires ?? '', /^in [45]m( \d+s)?$/);
    assert.match(alice.stored ?? '', /^file /);
    const table = await runCli(['status'], { env });
    assert.match(table.stdout, /^PROFILE\s+KIND\s+USER/);
    for (const text of [status.stdout, table.stdout, login.stdout, login.stderr]) {
      assert.ok(!text.includes(emu.clients.confidential.clientSecret));
      assert.ok(!text.includes(emu.users[0]!.password));
      assert.doesNotMatch(text, /eyJ|"token"/);
    }

    const revocations = emu.stats.revocations;
    const logout = await runCli(['logout', '-p', 'alice', '--json'], { env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.deepEqual(JSON.parse(logout.stdout), { profile: 'alice', revoked: true, removed: true });
    assert.equal(emu.stats.revocations, revocations + 2, 'refresh token, then access token');
    const after = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as Array<
      Record<string, string>
    >;
    assert.equal(
      after.find((r) => r.profile === 'alice'),
      undefined,
    );
  });

  it('logout --client removes every cached credential of that client', async () => {
    assert.equal((await runCli(['token', '-p', 'svc'], { env })).code, 0);
    assert.equal((await runCli(['token', '-p', 'alice'], { env })).code, 0);
    const run = await runCli(['logout', '--client', emu.clients.confidential.clientId, '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { client: emu.clients.confidential.clientId, removed: 2 });
    assert.deepEqual(JSON.parse((await runCli(['status', '--json'], { env })).stdout), []);
  });

  it('request --profile sends the bearer token, and an HTTP error exits 1', async () => {
    const api = await startTokenApi();
    try {
      const ok = await runCli(['request', api.url, '-p', 'svc', '-X', 'POST', '-d', 'a=1'], { env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout), { ok: true });
      assert.equal(api.seen.at(-1)?.body, 'a=1');
      assert.match(api.seen.at(-1)?.auth ?? '', /^Bearer /);
    } finally {
      await api.close();
    }
    const refused = await startTokenApi({ alwaysUnauthorized: true });
    try {
      const run = await runCli(['request', refused.url, '-p', 'svc'], { env });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /HTTP 401/);
      assert.equal(refused.seen.length, 2, 'one request and one replay after renewal');
    } finally {
      await refused.close();
    }
  });

  it('request and token work with a Kalliope profile (a fresh signed header per request)', async () => {
    const accepted = kalliope.stats.accepted;
    const run = await runCli(['request', `${kalliope.url}/rest/account`, '-p', 'pbx', '-i'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^HTTP 200 /);
    assert.equal(kalliope.stats.accepted, accepted + 1);
    const header = await runCli(['token', '-p', 'pbx', '--format', 'header'], { env });
    assert.equal(header.code, 0, header.stderr);
    assert.match(
      header.stdout,
      /^X-authenticate: RestApiUsernameToken Username="admin", Domain="default", Digest="[^"]+", Nonce="[0-9a-f]{32}", Created="[^"]+Z"\n$/,
    );
    assert.ok(!header.stdout.includes('pbx-Secret-77'));
  });

  it('refuses a non-https request URL to a remote host before sending anything', async () => {
    const run = await runCli(['request', 'http://192.0.2.1/api', '-p', 'svc'], { env });
    // A configuration error (issue #11 item 13): exit 2, like ERR_CONFIG_INVALID.
    assert.equal(run.code, 2);
    assert.match(run.stderr, /ERR_INSECURE_HTTP/);
  });
});

describe('profile errors from the CLI', () => {
  it('an unknown key names the file, line and key, and exits 2', async () => {
    const p = home(
      '[profiles.x]\ntype = "oauth2"\nclient_id = "c"\nissuer = "https://id.example"\nscopes = "a"\n',
    );
    const run = await runCli(['token', '-p', 'x'], { env: p });
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      new RegExp(`ERR_CONFIG_INVALID: ${p.file}:5: profile "x" has unknown key "scopes"`),
    );
  });

  it('a literal secret in a group-readable file is refused without echoing it', async () => {
    const p = home(
      '[profiles.x]\ntype = "oauth2"\nclient_id = "c"\nissuer = "https://id.example"\nclient_secret = "hunter2-literal"\n',
    );
    chmodSync(p.file, 0o644);
    const run = await runCli(['token', '-p', 'x'], { env: p });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /:5: profile "x" key "client_secret" holds a literal secret/);
    assert.ok(!run.stderr.includes('hunter2-literal'));
  });

  it('an unknown profile lists the known ones; ad-hoc flags and --profile together are a usage error', async () => {
    const p = home('[profiles.a]\ntype = "kalliope"\nurl = "http://127.0.0.1:9/default"\n');
    const run = await runCli(['token', '-p', 'nope'], { env: p });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /profile "nope" is not in .* \(known: a\)/);
    const both = await runCli(['token', '-p', 'a', '--issuer', 'https://id.example'], { env: p });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both/);
  });
});
