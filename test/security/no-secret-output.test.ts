/**
 * Issue 11, item 3 and its acceptance: no secret in any output. Every CLI command runs against the
 * built-in emulators at debug level (`--verbose` and `TOKENSMITH_LOG=debug`, text and JSON lines),
 * and all of its stdout and stderr is searched for every secret the run used: client secret,
 * password, refresh, access and ID tokens, Kaltura admin secret, app tokens, KSs and the Kalliope
 * password. The only exception is what a command prints by design on stdout (the token of `token`,
 * the KS of `kaltura session`, the new app token of `app-token create`): exactly that value, in
 * exactly that command's stdout.
 *
 * Secrets the test cannot know in advance are collected as they appear: the Kaltura emulator sits
 * behind a recording pass-through that keeps every KS and app token it hands out, and the CLI's
 * (plain, keyring-less) cache folder is read after every run for the OAuth tokens it received.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { type KalturaEmulator, startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import { signer } from 'tokensmith/internal/kalliope/signer.js';
import { KalturaAdmin } from 'tokensmith/internal/kaltura/admin.js';
import { type CliRun, cliArgs, runCli } from '../helpers/cli.js';
import { startTokenApi } from '../helpers/token-api.js';

const NO_BUS = 'unix:path=/nonexistent/tokensmith-test-bus';
const PARTNER_ID = 1234567;

/** One secret and what it is, for the failure report. */
interface Secret {
  kind: string;
  value: string;
}

/** One command run in one logging mode. */
interface Run extends CliRun {
  mode: string;
  label: string;
  /** Values the command prints on stdout by design (never allowed on stderr or in another run). */
  intended: string[];
}

/** A logging mode: how debug output is switched on, and its format. */
interface Mode {
  name: string;
  /** Global flags before the command. */
  flags: string[];
  env: Record<string, string>;
}

const MODES: Mode[] = [
  { name: '--verbose, text', flags: ['--verbose'], env: {} },
  { name: 'TOKENSMITH_LOG=debug, text', flags: [], env: { TOKENSMITH_LOG: 'debug' } },
  {
    name: 'TOKENSMITH_LOG=debug, JSON',
    flags: [],
    env: { TOKENSMITH_LOG: 'debug', TOKENSMITH_LOG_FORMAT: 'json' },
  },
  { name: '--verbose, JSON', flags: ['--verbose'], env: { TOKENSMITH_LOG_FORMAT: 'json' } },
];

/**
 * A recording pass-through in front of the Kaltura emulator: every answer body is kept, so the KSs
 * and app tokens the CLI received can be searched for even though it never printed them.
 */
async function startRecordingTap(target: string) {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = { ...req.headers } as Record<string, string>;
    delete headers.host;
    const upstream = await fetch(target + (req.url ?? '/'), {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    bodies.push(body.toString('utf8'));
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
    });
    res.writeHead(upstream.status, { ...out, 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The KSs and app tokens in Kaltura answers: `ks` and `token` fields, and bare KS results. */
function kalturaSecrets(body: string): Secret[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return [];
  }
  const found: Secret[] = [];
  const walk = (v: unknown, key: string | undefined, depth: number) => {
    if (typeof v === 'string') {
      if (key === 'token') found.push({ kind: 'app token', value: v });
      else if (
        key === 'ks' ||
        /^djJ8[\w-]{20,}={0,2}$/.test(v) ||
        (key === undefined && depth <= 1 && /^[\w=+/-]{40,}$/.test(v))
      )
        found.push({ kind: 'KS', value: v });
    } else if (Array.isArray(v)) for (const x of v) walk(x, undefined, depth + 1);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k, depth + 1);
  };
  walk(doc, undefined, 0);
  return found;
}

/** Tokens in the CLI's cache folder (plain JSON: the children have no key and no keyring). */
function cachedSecrets(cacheHome: string): Secret[] {
  const dir = join(cacheHome, 'tokensmith');
  if (!existsSync(dir)) return [];
  const found: Secret[] = [];
  for (const name of readdirSync(dir).filter((n) => /^[0-9a-f]{64}\.json$/.test(n))) {
    let record: Record<string, unknown> | undefined;
    try {
      record = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { record?: Record<string, unknown> })
        .record;
    } catch {
      continue; // replaced while we read it
    }
    if (!record) continue;
    const tokenKind = record.kind === 'kaltura' ? 'KS' : 'access token';
    if (typeof record.token === 'string') found.push({ kind: tokenKind, value: record.token });
    if (typeof record.refreshToken === 'string')
      found.push({ kind: 'refresh token', value: record.refreshToken });
    if (typeof record.idToken === 'string') found.push({ kind: 'ID token', value: record.idToken });
  }
  return found;
}

/** A long-running CLI child (proxy, device login, emulators): its output so far and a way to wait for a line. */
function startCli(args: string[], env: Record<string, string>) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...cliArgs(), ...args], {
    env: { ...process.env, TOKENSMITH_LOG: 'warn', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  child.stdin.end();
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  /** Resolve with the first match of `pattern` in `stream`; reject if the child ends first. */
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out[stream]);
        if (m) {
          child[stream].off('data', check);
          resolve(m);
        }
      };
      child[stream].on('data', check);
      check();
      void exited.then(() => {
        const m = pattern.exec(out[stream]);
        if (m) resolve(m);
        else reject(new Error(`${args.join(' ')} ended before ${pattern}: ${out.stderr}`));
      });
    });
  const stop = async (): Promise<CliRun> => {
    child.kill('SIGTERM');
    const code = await exited;
    return { code, ...out };
  };
  return { child, out, waitFor, stop, exited };
}

describe('no secret in any CLI output at debug level (issue 11 item 3, acceptance)', () => {
  let oidc: OidcEmulator;
  let kaltura: KalturaEmulator;
  let tap: Awaited<ReturnType<typeof startRecordingTap>>;
  let pbx: KalliopeEmulator;
  let api: Awaited<ReturnType<typeof startTokenApi>>;
  let configHome: string;
  let baseEnv: Record<string, string>;
  const secrets = new Map<string, Secret>();
  const runs: Run[] = [];
  const alice = { username: 'alice', password: `Al1ce-${randomBytes(9).toString('base64url')}` };
  const pbxPassword = `Pbx-${randomBytes(9).toString('base64url')}`;
  const adminSecret = randomBytes(16).toString('hex');
  let appToken: { id: string; token: string };
  let inspectKs: string;
  let idToken: string;

  const addSecret = (s: Secret) => {
    if (s.value.length >= 8 && !secrets.has(s.value)) secrets.set(s.value, s);
  };

  before(async () => {
    oidc = await startOidcEmulator({
      realm: 'demo',
      rotateRefreshTokens: false,
      users: [{ ...alice, email: 'alice@example.test', name: 'Alice' }],
    });
    kaltura = await startKalturaEmulator({ adminSecret, partnerId: PARTNER_ID });
    tap = await startRecordingTap(kaltura.url);
    pbx = await startKalliopeEmulator({
      users: [{ domain: 'default', username: 'admin', password: pbxPassword }],
    });
    api = await startTokenApi();

    // A refresh token for the `refresh_token` profile, and an ID token for `decode`.
    const grant = await fetch(oidc.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${oidc.clients.confidential.clientId}:${oidc.clients.confidential.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'password', ...alice, scope: 'openid offline_access' }),
    });
    const tokens = (await grant.json()) as { access_token: string; refresh_token: string; id_token: string };
    assert.ok(tokens.refresh_token && tokens.id_token, JSON.stringify(Object.keys(tokens)));
    idToken = tokens.id_token;

    const admin = new KalturaAdmin({ serviceUrl: tap.url, partnerId: PARTNER_ID, adminSecret });
    await admin.addRole({ name: 'Reports' });
    const created = await admin.createAppToken({
      hashType: 'SHA256',
      sessionType: 0,
      description: 'reports',
    });
    appToken = { id: created.id, token: created.token! };
    inspectKs = (await (
      await fetch(`${tap.url}/api_v3/service/session/action/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: adminSecret, partnerId: PARTNER_ID, type: 2, format: 1 }),
      })
    ).json()) as string;

    configHome = mkdtempSync(join(tmpdir(), 'tokensmith-no-secret-'));
    mkdirSync(join(configHome, 'tokensmith'));
    const file = join(configHome, 'tokensmith', 'config.toml');
    const client = oidc.clients.confidential.clientId;
    writeFileSync(
      file,
      `[profiles.svc]
type = "oauth2"
issuer = "${oidc.issuer}"
client_id = "${client}"
client_secret = "env:CS"

[profiles.alice]
type = "oauth2"
issuer = "${oidc.issuer}"
grant = "password"
client_id = "${client}"
client_secret = "env:CS"
username = "alice"
password = "env:ALICE_PW"
scope = "openid offline_access"

[profiles.kc]
type = "keycloak"
base_url = "${oidc.origin}"
realm = "demo"
client_id = "${client}"
client_secret = "env:CS"

[profiles.rt]
type = "oauth2"
issuer = "${oidc.issuer}"
grant = "refresh_token"
client_id = "${client}"
client_secret = "env:CS"
refresh_token = "env:RT"

[profiles.dev]
type = "oauth2"
issuer = "${oidc.issuer}"
grant = "device_code"
client_id = "${oidc.clients.public.clientId}"
scope = "openid offline_access"

[profiles.kat]
type = "kaltura-app-token"
service_url = "${tap.url}"
partner_id = ${PARTNER_ID}
app_token_id = "${appToken.id}"
app_token = "env:KALTURA_APP_TOKEN"
hash_type = "SHA256"

[profiles.kadm]
type = "kaltura-admin"
service_url = "${tap.url}"
partner_id = ${PARTNER_ID}
admin_secret = "env:KALTURA_ADMIN_SECRET"

[profiles.pbx]
type = "kalliope"
url = "${pbx.url}/default"
username = "admin"
password = "env:PBX_PW"
`,
    );
    chmodSync(file, 0o600);

    baseEnv = {
      XDG_CONFIG_HOME: configHome,
      DBUS_SESSION_BUS_ADDRESS: NO_BUS,
      TOKENSMITH_CACHE_KEY: '',
      CS: oidc.clients.confidential.clientSecret,
      ALICE_PW: alice.password,
      RT: tokens.refresh_token,
      PBX_PW: pbxPassword,
      KALLIOPE_PASSWORD: pbxPassword,
      KALTURA_SERVICE_URL: tap.url,
      KALTURA_PARTNER_ID: String(PARTNER_ID),
      KALTURA_ADMIN_SECRET: adminSecret,
      KALTURA_APP_TOKEN: appToken.token,
      KS_TO_INSPECT: inspectKs,
    };
    addSecret({ kind: 'client secret', value: oidc.clients.confidential.clientSecret });
    addSecret({ kind: 'password', value: alice.password });
    addSecret({ kind: 'Kalliope password', value: pbxPassword });
    addSecret({ kind: 'Kaltura admin secret', value: adminSecret });
    addSecret({ kind: 'app token', value: appToken.token });
    addSecret({ kind: 'access token', value: tokens.access_token });
    addSecret({ kind: 'refresh token', value: tokens.refresh_token });
    addSecret({ kind: 'ID token', value: tokens.id_token });
  });

  after(async () => {
    await Promise.all([oidc?.close(), tap?.close(), kaltura?.close(), pbx?.close(), api?.close()]);
  });

  for (const mode of MODES) {
    it(`runs every command (${mode.name})`, async () => {
      const cacheHome = mkdtempSync(join(tmpdir(), 'tokensmith-no-secret-cache-'));
      const env = { ...baseEnv, ...mode.env, XDG_CACHE_HOME: cacheHome };
      const failures: string[] = [];
      const record = (label: string, run: CliRun, intended: string[] = [], expectCode = 0) => {
        runs.push({ ...run, mode: mode.name, label, intended });
        if (run.code !== expectCode) failures.push(`${label}: exit ${run.code}\n${run.stderr}`);
        for (const s of cachedSecrets(cacheHome)) addSecret(s);
        return run;
      };
      const cli = (
        label: string,
        args: string[],
        options: { input?: string; intended?: (r: CliRun) => string[] } = {},
      ) =>
        runCli([...mode.flags, ...args], { env, input: options.input }).then((r) =>
          record(label, r, r.code === 0 ? (options.intended?.(r) ?? []) : []),
        );
      const raw = (r: CliRun) => [r.stdout.trim()];
      const jsonToken = (r: CliRun) => [(JSON.parse(r.stdout) as { token: string }).token];

      // token, for every profile type and grant, and ad hoc
      const svc = await cli('token -p svc', ['token', '-p', 'svc'], { intended: raw });
      await cli('token -p alice --format json', ['token', '-p', 'alice', '--format', 'json'], {
        intended: jsonToken,
      });
      await cli('token -p kc', ['token', '-p', 'kc'], { intended: raw });
      await cli('token -p rt', ['token', '-p', 'rt'], { intended: raw });
      await cli('token -p kat', ['token', '-p', 'kat'], { intended: raw });
      await cli('token -p kadm', ['token', '-p', 'kadm'], { intended: raw });
      await cli('token -p pbx --format header', ['token', '-p', 'pbx', '--format', 'header']);
      await cli(
        'token (ad hoc, password grant)',
        [
          'token',
          '--issuer',
          oidc.issuer,
          '--client-id',
          oidc.clients.confidential.clientId,
          '--client-secret-env',
          'CS',
          '--grant',
          'password',
          '--username',
          'alice',
          '--password-env',
          'ALICE_PW',
          '--scope',
          'openid offline_access',
          '--format',
          'env',
        ],
        { intended: (r) => [/^export TOKEN='?([^'\s]+)/m.exec(r.stdout)?.[1] ?? ''] },
      );
      await cli('token -p alice --force-refresh', ['token', '-p', 'alice', '--force-refresh'], {
        intended: raw,
      });

      // login: password grant, then a device login approved by the emulator's robot
      await cli('login -p alice', ['login', '-p', 'alice', '--force', '--json']);
      const device = startCli([...mode.flags, 'login', '-p', 'dev', '--json'], env);
      const [, verify] = await device.waitFor('stderr', /\(or open (\S+)\)/);
      await completeLogin(verify!, alice);
      const deviceCode = await device.exited;
      record('login -p dev (device)', { code: deviceCode, ...device.out });

      await cli('status', ['status']);
      await cli('status --json', ['status', '--json']);
      await cli('decode (ID token)', ['decode', '--json'], { input: idToken });
      await cli('decode (KS)', ['decode', '--kaltura-secret-env', 'KALTURA_ADMIN_SECRET'], {
        input: inspectKs,
      });
      await cli('request -p alice', ['request', api.url, '-p', 'alice', '-i']);
      await cli('request -p pbx', ['request', `${pbx.url}/rest/account`, '-p', 'pbx', '-i']);

      // proxy: start, one request through it, stop
      const proxy = startCli([...mode.flags, 'proxy', '-p', 'alice', '--upstream', api.url, '--json'], env);
      const [line] = await proxy.waitFor('stdout', /^.*\n/);
      const proxied = await fetch(`${(JSON.parse(line!) as { url: string }).url}/api`);
      assert.equal(proxied.status, 200);
      await proxied.arrayBuffer();
      record('proxy -p alice', await proxy.stop());

      // kaltura
      await cli('kaltura session --admin', ['kaltura', 'session', '--admin'], { intended: raw });
      await cli('kaltura session --admin --json', ['kaltura', 'session', '--admin', '--json'], {
        intended: (r) => [(JSON.parse(r.stdout) as { ks: string }).ks],
      });
      await cli(
        'kaltura session (app token)',
        ['kaltura', 'session', '--app-token-id', appToken.id, '--hash-type', 'SHA256'],
        { intended: raw },
      );
      const created = await cli(
        'kaltura app-token create',
        [
          'kaltura',
          'app-token',
          'create',
          '--hash-type',
          'SHA256',
          '--session-type',
          'USER',
          '--role-name',
          'Reports',
          '--json',
        ],
        { intended: jsonToken },
      );
      const createdId = created.code === 0 ? (JSON.parse(created.stdout) as { id: string }).id : 'none';
      await cli('kaltura app-token list', ['kaltura', 'app-token', 'list', '--json']);
      await cli('kaltura app-token get', ['kaltura', 'app-token', 'get', createdId]);
      await cli('kaltura app-token audit', ['kaltura', 'audit', '--json']);
      await cli('kaltura role-id', ['kaltura', 'role-id', 'Reports']);
      await cli('kaltura app-token delete', ['kaltura', 'app-token', 'delete', createdId]);
      await cli('kaltura inspect', ['kaltura', 'inspect', '--ks-env', 'KS_TO_INSPECT', '--json']);
      await cli('kalliope header', [
        'kalliope',
        'header',
        '--url',
        `${pbx.url}/default`,
        '--username',
        'admin',
      ]);

      await cli('logout -p alice', ['logout', '-p', 'alice', '--json']);
      await cli('logout -p dev', ['logout', '-p', 'dev', '--json']);

      // emulators: start, one exchange with each, stop
      const emuOidc = startCli([...mode.flags, 'emulate', 'oidc', '--json'], env);
      const [oidcLine] = await emuOidc.waitFor('stdout', /^.*\n/);
      const shown = JSON.parse(oidcLine!) as {
        tokenEndpoint: string;
        clients: { confidential: { clientId: string; clientSecret: string } };
      };
      const issued = (await (
        await fetch(shown.tokenEndpoint, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${shown.clients.confidential.clientId}:${shown.clients.confidential.clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        })
      ).json()) as { access_token: string };
      addSecret({ kind: 'access token', value: issued.access_token });
      // Its own throw-away client secret and passwords, printed by design, are not among our secrets.
      record('emulate oidc', await emuOidc.stop());

      const emuKaltura = startCli(
        [...mode.flags, 'emulate', 'kaltura', '--admin-secret-env', 'KALTURA_ADMIN_SECRET', '--json'],
        env,
      );
      const [kalturaLine] = await emuKaltura.waitFor('stdout', /^.*\n/);
      const emuUrl = (JSON.parse(kalturaLine!) as { url: string }).url;
      const ks = (await (
        await fetch(`${emuUrl}/api_v3/service/session/action/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: adminSecret, partnerId: 100, type: 2, format: 1 }),
        })
      ).json()) as string;
      assert.equal(typeof ks, 'string');
      addSecret({ kind: 'KS', value: ks });
      record('emulate kaltura', await emuKaltura.stop());

      const emuPbx = startCli(
        [...mode.flags, 'emulate', 'kalliope', '--password-env', 'KALLIOPE_PASSWORD', '--json'],
        env,
      );
      const [pbxLine] = await emuPbx.waitFor('stdout', /^.*\n/);
      const emuPbxUrl = (JSON.parse(pbxLine!) as { url: string }).url;
      const signed = await authFetch(signer({ url: emuPbxUrl, username: 'admin', password: pbxPassword }))(
        `${new URL(emuPbxUrl).origin}/rest/account`,
      );
      assert.equal(signed.status, 200);
      await signed.arrayBuffer();
      record('emulate kalliope', await emuPbx.stop());

      // The runs really logged at debug level (else the search below proves nothing).
      const debugLine = mode.env.TOKENSMITH_LOG_FORMAT === 'json' ? /"level":"debug"/ : /tokensmith debug /;
      assert.match(svc.stderr, debugLine);
      assert.match(
        runs.find((r) => r.mode === mode.name && r.label === 'kaltura session --admin')!.stderr,
        debugLine,
      );
      assert.deepEqual(failures, []);
    });
  }

  it('no secret of any kind appears in any output, beyond what a command prints by design', () => {
    for (const body of tap.bodies) for (const s of kalturaSecrets(body)) addSecret(s);
    const kinds = new Set([...secrets.values()].map((s) => s.kind));
    for (const kind of [
      'client secret',
      'password',
      'refresh token',
      'access token',
      'ID token',
      'Kaltura admin secret',
      'app token',
      'KS',
      'Kalliope password',
    ]) {
      assert.ok(kinds.has(kind), `the runs used a ${kind}`);
    }
    assert.equal(runs.length, MODES.length * 34);
    // What commands print by design was collected as a secret too, so the search knows every value.
    const printed = runs.flatMap((r) =>
      r.intended.map((value) => `${r.mode} | ${r.label}: ${secrets.has(value)}`),
    );
    assert.equal(printed.length, MODES.length * 12);
    assert.deepEqual(
      printed.filter((p) => p.endsWith('false')),
      [],
    );
    const hits: string[] = [];
    for (const run of runs) {
      for (const { kind, value } of secrets.values()) {
        for (const form of new Set([value, encodeURIComponent(value)])) {
          if (run.stderr.includes(form)) hits.push(`${run.mode} | ${run.label} | stderr | ${kind}`);
          if (run.stdout.includes(form) && !run.intended.includes(value)) {
            hits.push(`${run.mode} | ${run.label} | stdout | ${kind}`);
          }
        }
      }
    }
    assert.deepEqual(hits, []);
  });
});
