import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { runCli, spawnCli } from '../../../test/helpers/cli.js';
import { introspect } from '../../../test/helpers/introspect.js';
import { type ProfileHome, profileHome } from '../../../test/helpers/profile-home.js';

/**
 * Issue #15 item 4: what the library does, reachable from the CLI and profiles. Against the OIDC
 * emulator (tokens live 120 s).
 */
describe('CLI and profile parity with the library', () => {
  let emu: OidcEmulator;
  let home: ProfileHome;
  let env: Record<string, string>;

  let jwkFile: string;
  let pemFile: string;

  before(async () => {
    emu = await startOidcEmulator({ accessTokenTtl: 120 });
    const jwk = emu.clients.privateKeyJwt.privateJwk;
    home = profileHome(`
[profiles.svc]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"

[profiles.jwt-jwk]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.privateKeyJwt.clientId}"
private_key = "file:KEYDIR/client.jwk"
cache = "memory"

[profiles.jwt-pem]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.privateKeyJwt.clientId}"
client_auth = "private_key_jwt"
private_key = "cmd:cat KEYDIR/client.pem"
cache = "memory"

[profiles.web]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "authorization_code"
client_id = "${emu.clients.public.clientId}"
scope = "openid"
auth_params = { prompt = "login", login_hint = "alice" }
cache = "memory"

[profiles.web-bad]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "authorization_code"
client_id = "${emu.clients.public.clientId}"
auth_params = { state = "mine" }

[profiles.svc-params]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
auth_params = { prompt = "login" }

[profiles.alice]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "password"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
username = "alice"
password = "env:ALICE_PASSWORD"
scope = "openid"

[profiles.exchanged]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "token_exchange"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
subject_token = "profile:alice"
audience = "https://api.example.com"
cache = "memory"

[profiles.loop-a]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "token_exchange"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
subject_token = "profile:loop-b"

[profiles.loop-b]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "token_exchange"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
subject_token = "profile:loop-a"

[profiles.jwt-none]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.privateKeyJwt.clientId}"
client_auth = "private_key_jwt"
`);
    jwkFile = join(home.dir, 'client.jwk');
    pemFile = join(home.dir, 'client.pem');
    writeFileSync(jwkFile, JSON.stringify(jwk, null, 2));
    writeFileSync(
      pemFile,
      createPrivateKey({ key: jwk as never, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }),
    );
    writeFileSync(home.file, readFileSync(home.file, 'utf8').replaceAll('KEYDIR', home.dir));
    env = {
      ...home.env,
      SVC_SECRET: emu.clients.confidential.clientSecret,
      ALICE_PASSWORD: emu.users[0]!.password,
    };
  });
  after(() => emu.close());

  describe('--min-validity SECONDS', () => {
    it('a cached token valid long enough is printed as is; no new request', async () => {
      const first = await runCli(['token', '-p', 'svc'], { env });
      assert.equal(first.code, 0, first.stderr);
      emu.resetStats();
      const again = await runCli(['token', '-p', 'svc', '--min-validity', '60'], { env });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, first.stdout);
      assert.equal(emu.stats.tokenRequests, 0);
    });

    it('longer than the server grants: ERR_LIFETIME_TOO_SHORT, exit 1, after one token request', async () => {
      emu.resetStats();
      const run = await runCli(['token', '-p', 'svc', '--min-validity', '3600'], { env });
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(
        run.stderr,
        /ERR_LIFETIME_TOO_SHORT: a credential valid for 3600 s was asked for, but the server's lives 120 s/,
      );
      assert.equal(emu.stats.tokenRequests, 1);
    });

    it('exec and request take it too', async () => {
      emu.resetStats();
      const exec = await runCli(
        ['exec', '-p', 'svc', '--min-validity', '60', '--', process.execPath, '-e', 'process.exit(0)'],
        { env },
      );
      assert.equal(exec.code, 0, exec.stderr);
      const request = await runCli(['request', `${emu.issuer}/jwks`, '-p', 'svc', '--min-validity', '9999'], {
        env,
      });
      assert.equal(request.code, 1);
      assert.match(request.stderr, /ERR_LIFETIME_TOO_SHORT/);
    });

    it('a value that is not a whole number of seconds is a usage error (exit 2)', async () => {
      for (const value of ['-5', '1.5', 'soon']) {
        const run = await runCli(['token', '-p', 'svc', '--min-validity', value], { env });
        assert.equal(run.code, 2, value);
        assert.match(run.stderr, /--min-validity must be a whole number of seconds/);
      }
    });
  });

  describe('private_key_jwt from a profile or --private-key-file', () => {
    for (const profile of ['jwt-jwk', 'jwt-pem']) {
      it(`profile ${profile}: a multi-line key by reference signs the client assertion`, async () => {
        emu.resetStats();
        const run = await runCli(['token', '-p', profile], { env });
        assert.equal(run.code, 0, run.stderr);
        const info = await introspect(emu, run.stdout.trim());
        assert.equal(info.active, true);
        assert.equal(info.client_id, emu.clients.privateKeyJwt.clientId);
        assert.equal(emu.stats.byGrant.client_credentials, 1);
      });
    }

    it('--private-key-file (PEM or JWK) with ad hoc flags', async () => {
      for (const file of [pemFile, jwkFile]) {
        const run = await runCli(
          [
            'token',
            '--issuer',
            emu.issuer,
            '--client-id',
            emu.clients.privateKeyJwt.clientId,
            '--client-auth',
            'private_key_jwt',
            '--private-key-file',
            file,
            '--no-cache',
          ],
          { env },
        );
        assert.equal(run.code, 0, run.stderr);
        assert.equal(
          (await introspect(emu, run.stdout.trim())).client_id,
          emu.clients.privateKeyJwt.clientId,
        );
      }
    });

    it('private_key_jwt without a key, or a file that is no key, is a configuration error (exit 2)', async () => {
      const none = await runCli(['token', '-p', 'jwt-none'], { env });
      assert.equal(none.code, 2);
      assert.match(none.stderr, /profile "jwt-none": client_auth "private_key_jwt" needs private_key/);
      const notKey = join(home.dir, 'not-a-key.txt');
      writeFileSync(notKey, 'hello\n');
      const bad = await runCli(
        ['token', '--issuer', emu.issuer, '--client-id', 'x', '--private-key-file', notKey, '--no-cache'],
        { env },
      );
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /ERR_CONFIG_INVALID: the private key for private_key_jwt is neither a PEM private key nor a private JWK/,
      );
    });
  });

  describe('auth_params / --auth-param and --resource', () => {
    let recorder: Server;
    let recorderUrl: string;
    let script: string;
    const waiting: Array<(argv: string[]) => void> = [];

    before(async () => {
      recorder = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          waiting.shift()?.(JSON.parse(body) as string[]);
          res.end();
        });
      });
      await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
      recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/`;
      // The "browser": hands the URL it was given to the test, which signs in as the person would.
      script = join(home.dir, 'browser.mjs');
      writeFileSync(
        script,
        `await fetch(process.env.REC_URL, { method: 'POST', body: JSON.stringify(process.argv.slice(2)) });\n`,
      );
    });
    after(() => new Promise((resolve) => recorder.close(resolve)));

    /** Run `login` with a recording browser; the test logs in as alice at the URL it got. */
    async function browserLogin(args: string[]): Promise<{ url: URL; code: number | null; stderr: string }> {
      const recorded = new Promise<string[]>((resolve) => waiting.push(resolve));
      const child = spawnCli(
        ['login', ...args, '--json', '--browser-command', `'${process.execPath}' '${script}' %s`],
        { env: { ...env, REC_URL: recorderUrl } },
      );
      child.stdin.end();
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const argv = await Promise.race([
        recorded,
        exited.then(() => assert.fail(`login exited early: ${stderr}`)),
      ]);
      const url = new URL(argv[0]!);
      await completeLogin(url.href, { username: 'alice', password: emu.users[0]!.password });
      return { url, code: await exited, stderr };
    }

    it('profile auth_params reach the authorization request; the login completes', async () => {
      const run = await browserLogin(['-p', 'web']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.url.searchParams.get('prompt'), 'login');
      assert.equal(run.url.searchParams.get('login_hint'), 'alice');
      assert.equal(run.url.searchParams.getAll('state').length, 1);
    });

    it('--auth-param and --resource with ad hoc flags', async () => {
      const recorded = new Promise<string[]>((resolve) => waiting.push(resolve));
      const child = spawnCli(
        [
          'login',
          '--issuer',
          emu.issuer,
          '--grant',
          'authorization_code',
          '--client-id',
          emu.clients.public.clientId,
          '--auth-param',
          'prompt=consent',
          '--auth-param',
          'ui_locales=fr de',
          '--resource',
          'https://api.example.com/',
          '--resource',
          'https://files.example.com/',
          '--no-cache',
          '--browser-command',
          `'${process.execPath}' '${script}' %s`,
        ],
        { env: { ...env, REC_URL: recorderUrl } },
      );
      child.stdin.end();
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const url = new URL((await recorded)[0]!);
      child.kill('SIGTERM');
      await exited;
      assert.equal(url.searchParams.get('prompt'), 'consent');
      assert.equal(url.searchParams.get('ui_locales'), 'fr de');
      assert.deepEqual(url.searchParams.getAll('resource'), [
        'https://api.example.com/',
        'https://files.example.com/',
      ]);
    });

    it('--resource reaches the token endpoint (the emulator knows no such resource: invalid_target)', async () => {
      const run = await runCli(
        [
          'token',
          '--issuer',
          emu.issuer,
          '--client-id',
          emu.clients.confidential.clientId,
          '--client-secret-env',
          'SVC_SECRET',
          '--resource',
          'https://unknown.example.com/',
          '--no-cache',
        ],
        { env },
      );
      assert.equal(run.code, 1);
      assert.match(run.stderr, /ERR_OAUTH_INVALID_TARGET/);
    });

    it('reserved names, or parameters for a grant without a browser login, are configuration errors (exit 2)', async () => {
      const bad = await runCli(['login', '-p', 'web-bad'], { env });
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /config\.toml:\d+: profile "web-bad": authorization parameter "state" is set by tokensmith and cannot be given/,
      );
      const foreign = await runCli(['token', '-p', 'svc-params'], { env });
      assert.equal(foreign.code, 2);
      assert.match(foreign.stderr, /key "auth_params" does not apply to grant "client_credentials"/);
      const flags = ['--issuer', emu.issuer, '--client-id', emu.clients.public.clientId, '--no-cache'];
      const reserved = await runCli(
        [
          'login',
          ...flags,
          '--grant',
          'authorization_code',
          '--auth-param',
          'redirect_uri=http://evil.example/',
        ],
        { env },
      );
      assert.equal(reserved.code, 2);
      assert.match(reserved.stderr, /authorization parameter "redirect_uri" is set by tokensmith/);
      const wrongGrant = await runCli(['token', ...flags, '--auth-param', 'prompt=login'], { env });
      assert.equal(wrongGrant.code, 2);
      assert.match(wrongGrant.stderr, /--grant client_credentials takes no --auth-param/);
    });
  });

  describe('token exchange: subject_token from another profile or a file', () => {
    it('subject_token = "profile:alice": alice\'s token is obtained, then exchanged', async () => {
      emu.resetStats();
      const run = await runCli(['token', '-p', 'exchanged'], { env });
      assert.equal(run.code, 0, run.stderr);
      const info = await introspect(emu, run.stdout.trim());
      assert.equal(info.active, true);
      assert.equal(info.sub, 'alice');
      assert.equal(emu.stats.byGrant.password, 1);
      assert.equal(emu.stats.byGrant['urn:ietf:params:oauth:grant-type:token-exchange'], 1);
      // alice's token is cached in her profile: a second exchange asks only for the exchange.
      const again = await runCli(['token', '-p', 'exchanged'], { env });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(emu.stats.byGrant.password, 1);
      assert.equal(emu.stats.byGrant['urn:ietf:params:oauth:grant-type:token-exchange'], 2);
    });

    it('--subject-token-profile and --subject-token-file with ad hoc flags', async () => {
      const flags = [
        'token',
        '--issuer',
        emu.issuer,
        '--client-id',
        emu.clients.confidential.clientId,
        '--client-secret-env',
        'SVC_SECRET',
        '--grant',
        'token_exchange',
        '--no-cache',
      ];
      const byProfile = await runCli([...flags, '--subject-token-profile', 'alice'], { env });
      assert.equal(byProfile.code, 0, byProfile.stderr);
      assert.equal((await introspect(emu, byProfile.stdout.trim())).sub, 'alice');
      const alice = await runCli(['token', '-p', 'alice'], { env });
      const file = join(home.dir, 'subject.token');
      writeFileSync(file, `${alice.stdout.trim()}\nsecond line ignored\n`);
      const byFile = await runCli([...flags, '--subject-token-file', file], { env });
      assert.equal(byFile.code, 0, byFile.stderr);
      assert.equal((await introspect(emu, byFile.stdout.trim())).sub, 'alice');
      const both = await runCli(
        [...flags, '--subject-token-file', file, '--subject-token-profile', 'alice'],
        {
          env,
        },
      );
      assert.equal(both.code, 2);
      assert.match(
        both.stderr,
        /give one of --subject-token-env, --subject-token-stdin, --subject-token-file/,
      );
    });

    it('profiles that lead back to themselves are a configuration error (exit 2), not a recursion', async () => {
      const run = await runCli(['token', '-p', 'loop-a'], { env });
      assert.equal(run.code, 2);
      assert.match(run.stderr, /profile:loop-a leads back to itself \(loop-a → loop-b → loop-a\)/);
    });
  });
});
