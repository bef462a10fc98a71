import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { providerFromFlags } from '@tokensmith/cli/internal/adhoc-provider.js';
import { openProfile } from '@tokensmith/cli/internal/config/build-source.js';
import { parseConfig } from '@tokensmith/cli/internal/config/profiles.js';
import { buildProgram } from '@tokensmith/cli/internal/program.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import * as keycloak from 'tokensmith/internal/keycloak/index.js';
import { OAuth2Provider } from 'tokensmith/internal/oauth2/base-provider.js';
import {
  GRANT_NAMES,
  GRANTS,
  type GrantExtras,
  type GrantName,
  grantOptions,
} from 'tokensmith/internal/oauth2/grant-registry.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { lazyGrantProvider, loadGrant } from 'tokensmith/internal/oauth2/load-grant.js';
import type { OAuth2CommonOptions } from 'tokensmith/internal/oauth2/options.js';
import { runCli } from '../../../../test/helpers/cli.js';

const EXPECTED_NAMES = [
  'client_credentials',
  'password',
  'device_code',
  'authorization_code',
  'refresh_token',
  'token_exchange',
];

const COMMON: OAuth2CommonOptions = {
  tokenEndpoint: 'https://idp.example.test/token',
  clientId: 'registry-client',
  scope: 'openid',
};

/** A value for every option any grant takes: the compiler checks none is left out. */
const ALL_EXTRAS: Required<GrantExtras> = {
  username: 'alice',
  password: 'registry-password-1',
  onPrompt: () => {},
  onPending: () => {},
  onEnd: () => {},
  defaultInterval: 7,
  redirectHost: '127.0.0.1',
  redirectPort: 8765,
  redirectPath: '/cb',
  openBrowser: () => {},
  landingPage: () => ({ html: '<p>ok</p>' }),
  loginTimeoutMs: 1000,
  authorizationParams: { prompt: 'login' },
  refreshToken: 'registry-refresh-token-1',
  subjectToken: 'registry-subject-token-1',
  subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  actorToken: 'registry-actor-token-1',
  actorTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
};

/** The list an ERR_CONFIG_INVALID for an unknown grant names, read back from its message. */
function knownIn(message: string): string[] {
  const list = /known grants: ([\w, ]+)$/.exec(message)?.[1];
  assert.ok(list, `no list of known grants in: ${message}`);
  return list.split(', ');
}

/** Asserts `err` is the unknown-grant error for "implicit" and returns the grants it lists. */
function unknownImplicit(err: unknown): string[] {
  assert.ok(err instanceof Error);
  assert.equal((err as { code?: string }).code, 'ERR_CONFIG_INVALID', err.message);
  assert.match(err.message, /unknown grant "implicit"; known grants: /);
  return knownIn(err.message);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

/** The grant of a provider built by an entry point. */
function grantOf(provider: Provider): string {
  assert.ok(provider instanceof OAuth2Provider, 'an OAuth 2 provider');
  return provider.grant;
}

/** Whether a provider needs a person for a new credential (`interactive` is optional on Provider). */
function interactive(provider: Provider): boolean {
  return provider.interactive ?? false;
}

/** One grant's provider straight from its factory, with options from the registry. */
async function realProvider<G extends GrantName>(grant: G, extras: GrantExtras): Promise<OAuth2Provider> {
  const make = await loadGrant(grant);
  return make(grantOptions(grant, COMMON, extras));
}

describe('grant registry', () => {
  it('lists the six grants, and every name loads a factory whose provider has that grant', async () => {
    assert.deepEqual(GRANT_NAMES, EXPECTED_NAMES);
    assert.deepEqual(Object.keys(GRANTS), EXPECTED_NAMES);
    for (const name of GRANT_NAMES) {
      const make = await loadGrant(name);
      assert.equal(typeof make, 'function', name);
      const provider = await realProvider(name, ALL_EXTRAS);
      assert.equal(provider.grant, name);
      assert.equal(interactive(provider), GRANTS[name].interactive, `${name} interactive`);
    }
    const factories: Record<string, unknown> = {
      client_credentials: oauth2.clientCredentials,
      password: oauth2.password,
      device_code: oauth2.deviceCode,
      authorization_code: oauth2.authorizationCode,
      refresh_token: oauth2.refreshToken,
      token_exchange: oauth2.tokenExchange,
    };
    for (const name of GRANT_NAMES) assert.equal(await loadGrant(name), factories[name], name);
  });

  it('says which options each grant needs, and which need a person', () => {
    const needs = Object.fromEntries(GRANT_NAMES.map((g) => [g, [...GRANTS[g].needs]]));
    assert.deepEqual(needs, {
      client_credentials: [],
      password: ['username', 'password'],
      device_code: [],
      authorization_code: [],
      refresh_token: ['refreshToken'],
      token_exchange: ['subjectToken'],
    });
    const interactive = GRANT_NAMES.filter((g) => GRANTS[g].interactive);
    assert.deepEqual(interactive, ['device_code', 'authorization_code', 'refresh_token']);
  });

  it("each grant's options are the common ones plus exactly the extras it accepts", () => {
    for (const name of GRANT_NAMES) {
      const options = GRANTS[name].options(COMMON, ALL_EXTRAS);
      const own = Object.keys(options).filter((k) => !Object.hasOwn(COMMON, k));
      assert.deepEqual(own.sort(), [...GRANTS[name].accepts].sort(), name);
      for (const k of own) assert.equal(Reflect.get(options, k), Reflect.get(ALL_EXTRAS, k), `${name}.${k}`);
      const accepts: readonly string[] = GRANTS[name].accepts;
      for (const need of GRANTS[name].needs) assert.ok(accepts.includes(need), need);
    }
  });

  it('a missing needed option is ERR_CONFIG_INVALID naming it', () => {
    const cases: Array<[GrantName, keyof GrantExtras, string]> = [
      ['password', 'username', 'grant "password" needs username'],
      ['password', 'password', 'grant "password" needs password'],
      ['refresh_token', 'refreshToken', 'grant "refresh_token" needs refreshToken'],
      ['token_exchange', 'subjectToken', 'grant "token_exchange" needs subjectToken'],
    ];
    for (const [grant, option, message] of cases) {
      const extras: GrantExtras = { ...ALL_EXTRAS, [option]: '' };
      assert.throws(() => grantOptions(grant, COMMON, extras), {
        code: 'ERR_CONFIG_INVALID',
        field: option,
        message,
      });
      assert.throws(() => lazyGrantProvider(grant, COMMON, extras), { code: 'ERR_CONFIG_INVALID', message });
    }
    assert.throws(() => lazyGrantProvider('password', COMMON, {}), {
      code: 'ERR_CONFIG_INVALID',
      message: 'grant "password" needs username and password',
    });
  });

  it('the lazy provider has the real provider’s grant, cache key and interactivity', async () => {
    for (const name of GRANT_NAMES) {
      const lazy = lazyGrantProvider(name, COMMON, ALL_EXTRAS);
      const real = await realProvider(name, ALL_EXTRAS);
      assert.equal(lazy.cacheKey, real.cacheKey, name);
      assert.equal(interactive(lazy), interactive(real), name);
      assert.equal(grantOf(lazy), name);
    }
    assert.match(lazyGrantProvider('password', COMMON, ALL_EXTRAS).cacheKey, /\|password\|alice\|/);
  });
});

describe('every entry point accepts exactly the registry’s grants', () => {
  const file = '/etc/tokensmith-registry.toml';
  /** Profile keys a grant needs, with values. */
  const profileKeys: Record<string, string> = {
    password: 'username = "alice"\npassword = "registry-password-1"\n',
    refresh_token: 'refresh_token = "registry-refresh-token-1"\n',
    token_exchange: 'subject_token = "registry-subject-token-1"\n',
  };

  async function profileProvider(type: 'oauth2' | 'keycloak', grant: string): Promise<Provider> {
    const where =
      type === 'oauth2'
        ? 'token_endpoint = "https://idp.example.test/token"\n'
        : 'base_url = "https://kc.example.test"\nrealm = "r"\n';
    const text = `[profiles.x]\ntype = "${type}"\n${where}client_id = "c"\ngrant = "${grant}"\n${profileKeys[grant] ?? ''}`;
    const profile = parseConfig(text, file, true).profiles.x!;
    const source = await openProfile(profile, { cache: new MemoryCache() });
    assert.equal(source.kind, 'manager');
    return source.manager.provider;
  }

  /** Ad hoc flags a grant needs; the secrets come from these variables. */
  const flagsFor: Record<string, object> = {
    password: { username: 'alice', passwordEnv: 'TS_REGISTRY_PW' },
    refresh_token: { refreshTokenEnv: 'TS_REGISTRY_RT' },
    token_exchange: { subjectTokenEnv: 'TS_REGISTRY_ST' },
  };
  before(() => {
    process.env.TS_REGISTRY_PW = 'registry-password-1';
    process.env.TS_REGISTRY_RT = 'registry-refresh-token-1';
    process.env.TS_REGISTRY_ST = 'registry-subject-token-1';
  });
  after(() => {
    delete process.env.TS_REGISTRY_PW;
    delete process.env.TS_REGISTRY_RT;
    delete process.env.TS_REGISTRY_ST;
  });
  const adhoc = (grant: string) =>
    providerFromFlags({
      tokenEndpoint: 'https://idp.example.test/token',
      clientId: 'c',
      grant,
      ...flagsFor[grant],
    });

  /** keycloak.provider called as JavaScript or a config file would, with a grant name known only at run time. */
  const keycloakProvider = (grant: string): Provider =>
    Reflect.apply(keycloak.provider, undefined, [
      {
        baseUrl: 'https://kc.example.test',
        realm: 'r',
        clientId: 'c',
        grant,
        username: grant === 'password' ? 'alice' : undefined,
        password: grant === 'password' ? 'registry-password-1' : undefined,
        refreshToken: grant === 'refresh_token' ? 'registry-refresh-token-1' : undefined,
        subjectToken: grant === 'token_exchange' ? 'registry-subject-token-1' : undefined,
      },
    ]);

  it('profiles (oauth2 and keycloak): every registry grant opens, and an unknown one lists the same names', async () => {
    for (const type of ['oauth2', 'keycloak'] as const) {
      for (const name of GRANT_NAMES) assert.equal(grantOf(await profileProvider(type, name)), name);
      const err = await rejection(profileProvider(type, 'implicit'));
      assert.deepEqual(unknownImplicit(err), GRANT_NAMES);
      assert.match(String((err as Error).message), /^\/etc\/tokensmith-registry\.toml:\d+: profile "x": /);
      assert.equal((err as { field?: string }).field, 'grant');
    }
  });

  it('ad hoc flags: every registry grant builds, --help lists the same names, an unknown one lists them too', async () => {
    for (const name of GRANT_NAMES) assert.equal(grantOf(await adhoc(name)), name);
    assert.deepEqual(unknownImplicit(await rejection(adhoc('implicit'))), GRANT_NAMES);
    const token = buildProgram().commands.find((c) => c.name() === 'token');
    const option = token?.options.find((o) => o.long === '--grant');
    assert.ok(option);
    const listed = /^grant: ([\w, ]+) \(default/.exec(option.description)?.[1];
    assert.deepEqual(listed?.split(', '), GRANT_NAMES);
  });

  it('keycloak preset: every registry grant builds, an unknown one lists the same names', () => {
    for (const name of GRANT_NAMES) assert.equal(grantOf(keycloakProvider(name)), name);
    assert.deepEqual(unknownImplicit(thrown(() => keycloakProvider('implicit'))), GRANT_NAMES);
  });

  it('lazy loader: an unknown grant is ERR_CONFIG_INVALID listing the names, never client credentials', async () => {
    assert.deepEqual(
      unknownImplicit(await rejection(Reflect.apply(loadGrant, undefined, ['implicit']))),
      GRANT_NAMES,
    );
    assert.deepEqual(unknownImplicit(thrown(() => lazyGrantProvider('implicit', COMMON))), GRANT_NAMES);
  });
});

describe('grant option checks at the entry points', () => {
  const file = '/etc/tokensmith-registry.toml';
  const open = (body: string) =>
    openProfile(
      parseConfig(
        `[profiles.x]\ntype = "oauth2"\nissuer = "https://idp.example.test"\nclient_id = "c"\n${body}`,
        file,
        true,
      ).profiles.x!,
      { cache: new MemoryCache() },
    );

  it('a profile key for another grant, or a missing one, is ERR_CONFIG_INVALID with file and line', async () => {
    await assert.rejects(open('grant = "device_code"\nusername = "alice"\n'), {
      code: 'ERR_CONFIG_INVALID',
      field: 'username',
      message: `${file}:6: profile "x": key "username" does not apply to grant "device_code"`,
    });
    await assert.rejects(open('grant = "refresh_token"\n'), {
      code: 'ERR_CONFIG_INVALID',
      field: 'refresh_token',
      message: `${file}: profile "x": grant "refresh_token" needs refresh_token`,
    });
    await assert.rejects(open('grant = "password"\nusername = "alice"\n'), {
      code: 'ERR_CONFIG_INVALID',
      message: `${file}: profile "x": grant "password" needs password`,
    });
    await assert.rejects(open('client_auth = "magic"\n'), {
      code: 'ERR_CONFIG_INVALID',
      field: 'client_auth',
      message:
        /:5: profile "x": client_auth must be one of client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth, self_signed_tls_client_auth, none \(got "magic"\)$/,
    });
  });

  it('an ad hoc flag for another grant, or a missing one, is a usage error naming the flags (exit 2)', async () => {
    const base = ['token', '--token-endpoint', 'https://idp.example.test/token', '--client-id', 'c'];
    const foreign = await runCli([...base, '--refresh-token-env', 'RT'], { env: { RT: 'x' } });
    assert.equal(foreign.code, 2);
    assert.equal(
      foreign.stderr,
      'tokensmith: --grant client_credentials takes no --refresh-token-env or --refresh-token-stdin\n',
    );
    const missing = await runCli([...base, '--grant', 'refresh_token']);
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      'tokensmith: --grant refresh_token needs --refresh-token-env or --refresh-token-stdin\n',
    );
    const noUser = await runCli([...base, '--grant', 'password']);
    assert.equal(noUser.code, 2);
    assert.equal(noUser.stderr, 'tokensmith: --grant password needs --username\n');
    const unknown = await runCli([...base, '--grant', 'implicit']);
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      `tokensmith: ERR_CONFIG_INVALID: unknown grant "implicit"; known grants: ${GRANT_NAMES.join(', ')}\n`,
    );
    const twoStdin = await runCli([
      ...base,
      '--grant',
      'refresh_token',
      '--refresh-token-stdin',
      '--client-secret-stdin',
    ]);
    assert.equal(twoStdin.code, 2);
    assert.equal(twoStdin.stderr, 'tokensmith: only one secret can come from stdin\n');
  });
});

describe('ad hoc refresh_token grant through the CLI (OIDC emulator)', () => {
  let emu: OidcEmulator;
  before(async () => {
    emu = await startOidcEmulator();
  });
  after(() => emu.close());

  const confidential = () => ({
    issuer: emu.issuer,
    clientId: emu.clients.confidential.clientId,
    clientSecret: emu.clients.confidential.clientSecret,
  });
  /** A refresh token obtained elsewhere: here, by the library's password grant. */
  async function refreshTokenFromElsewhere(): Promise<{ refreshToken: string; token: string }> {
    const user = emu.users[0]!;
    const c = await oauth2
      .password({ ...confidential(), username: user.username, password: user.password, scope: 'openid' })
      .acquire({});
    assert.ok(c.refreshToken);
    return { refreshToken: c.refreshToken, token: c.token };
  }
  const args = () => [
    'token',
    '--issuer',
    emu.issuer,
    '--grant',
    'refresh_token',
    '--client-id',
    emu.clients.confidential.clientId,
    '--client-secret-env',
    'CS',
    '--no-cache',
    '--format',
    'json',
  ];

  it('--refresh-token-env: one refresh_token request at the server, a new token on stdout', async () => {
    const seed = await refreshTokenFromElsewhere();
    emu.resetStats();
    const run = await runCli([...args(), '--refresh-token-env', 'RT'], {
      env: { CS: emu.clients.confidential.clientSecret, RT: seed.refreshToken },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const j = JSON.parse(run.stdout);
    assert.equal(j.type, 'Bearer');
    assert.equal(j.scope, 'openid');
    assert.match(j.token, /^[\w-]{20,}$/);
    assert.notEqual(j.token, seed.token);
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 });
    assert.equal(emu.stats.tokenRequests, 1);
    assert.ok(!run.stdout.includes(seed.refreshToken), 'the refresh token is never printed');
  });

  it('--refresh-token-stdin works too; a refused refresh token is ERR_LOGIN_REQUIRED (exit 3)', async () => {
    const seed = await refreshTokenFromElsewhere();
    const env = { CS: emu.clients.confidential.clientSecret };
    const run = await runCli([...args(), '--refresh-token-stdin'], { env, input: `${seed.refreshToken}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.notEqual(JSON.parse(run.stdout).token, seed.token);
    // Used once and rotated: the same token again is refused, and only a person can get a new one.
    const again = await runCli([...args(), '--refresh-token-stdin'], {
      env,
      input: `${seed.refreshToken}\n`,
    });
    assert.equal(again.code, 3);
    assert.equal(again.stdout, '');
    assert.match(
      again.stderr,
      /^tokensmith: ERR_LOGIN_REQUIRED: the configured refresh token is no longer accepted\n/,
    );
    assert.ok(!again.stderr.includes(seed.refreshToken));
  });
});

describe('grant code stays lazily loaded', () => {
  let emu: OidcEmulator;
  let dir: string;
  before(async () => {
    emu = await startOidcEmulator();
    dir = mkdtempSync(join(tmpdir(), 'tokensmith-lazy-'));
    // Records every module the CLI process loads (a module hook, registered before the CLI starts).
    writeFileSync(
      join(dir, 'hooks.mjs'),
      [
        "import { appendFileSync } from 'node:fs';",
        'export async function load(url, context, next) {',
        "  appendFileSync(process.env.TS_TRACE_FILE, url + '\\n');",
        '  return next(url, context);',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'trace.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
    );
  });
  after(() => emu.close());

  it('a CLI run answered from the cache imports no grant module; the run that filled it did', async () => {
    const base = [
      'token',
      '--issuer',
      emu.issuer,
      '--client-id',
      emu.clients.confidential.clientId,
      '--client-secret-env',
      'CS',
      '--username',
      'alice',
      '--password-env',
      'PW',
    ];
    const run = async (name: string) => {
      const trace = join(dir, name);
      writeFileSync(trace, '');
      const result = await runCli(base, {
        env: {
          CS: emu.clients.confidential.clientSecret,
          PW: emu.users[0]!.password,
          TS_TRACE_FILE: trace,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(join(dir, 'trace.mjs')).href}`,
        },
      });
      assert.equal(result.code, 0, result.stderr);
      const loaded = readFileSync(trace, 'utf8').split('\n');
      return { stdout: result.stdout, grants: loaded.filter((url) => /\/oauth2\/grants\//.test(url)) };
    };
    emu.resetStats();
    const miss = await run('miss.txt');
    const hit = await run('hit.txt');
    assert.equal(hit.stdout, miss.stdout);
    assert.equal(emu.stats.tokenRequests, 1);
    const names = (urls: string[]) =>
      urls.map((u) => u.replace(/^.*\/oauth2\/grants\/([\w-]+)\.[jt]s$/, '$1'));
    assert.deepEqual(names(miss.grants), ['password'], 'the trace sees the grant module when it is needed');
    assert.deepEqual(hit.grants, []);
  });
});
