import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseConfig } from '@tokensmith/cli/internal/config/profiles.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { type CliRun, cliArgs, cliEnv, repoRoot, runCli } from '../../../test/helpers/cli.js';
import { introspect } from '../../../test/helpers/introspect.js';

/**
 * Issue #14 item 7: `docker-credential-tokensmith`, docker's credential helper, through its
 * protocol on stdin and stdout: the built program (`bin` of packages/cli) under `npm test`, its
 * source when a test runs from TypeScript. The docker CLI itself is not driven: Debian packages it
 * with the daemon (docker.io), which a test machine does not run.
 */

/** The docker helper program, found the way cliArgs() finds `tokensmith`. */
function dockerHelperArgs(): string[] {
  return cliArgs().map((a) =>
    a.replace(/\/packages\/cli\/(dist|src)\/index\.(js|ts)$/, '/packages/cli/$1/docker-credential.$2'),
  );
}

/** Run `docker-credential-tokensmith ...args` as docker does: stdin written and closed. */
function runHelper(args: string[], input: string, env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...dockerHelperArgs(), ...args], {
      cwd: repoRoot,
      env: cliEnv({ env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

const NOT_FOUND = { code: 1, stdout: 'credentials not found in native keychain\n', stderr: '' };

describe('docker-credential-tokensmith: docker credential helper protocol', () => {
  let emu: OidcEmulator;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    emu = await startOidcEmulator();
    dir = mkdtempSync(join(tmpdir(), 'tokensmith-docker-'));
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    const file = join(dir, 'config', 'tokensmith', 'config.toml');
    const cli = emu.clients.confidential.clientId;
    writeFileSync(
      file,
      [
        '[profiles.registry]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${cli}"`,
        'client_secret = "env:DOCKER_TEST_SECRET"',
        'docker_registries = ["registry.example.test", "localhost:5000"]',
        'docker_username = "oauth2accesstoken"',
        '',
        '[profiles.hub]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${cli}-post"`,
        'client_secret = "env:DOCKER_TEST_SECRET"',
        'docker_registries = "docker.io"',
        '',
      ].join('\n'),
    );
    chmodSync(file, 0o600);
    env = {
      // The default config path: docker passes the helper nothing but the action.
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      DOCKER_TEST_SECRET: emu.clients.confidential.clientSecret,
      // An encrypted cache, so no "stored UNENCRYPTED" notice depends on this machine's keyring.
      TOKENSMITH_CACHE_KEY: randomBytes(32).toString('base64'),
    };
  });
  after(() => emu.close());
  beforeEach(() => emu.resetStats());

  it("the CLI package installs it as docker-credential-tokensmith, the name the README's config.json gives docker", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8'));
    assert.deepEqual(pkg.bin, {
      tokensmith: 'dist/index.js',
      'docker-credential-tokensmith': 'dist/docker-credential.js',
    });
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section =
      /### docker credential helper[\s\S]*?```json\n([\s\S]*?)```[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme);
    // docker runs `docker-credential-` + the value given for the registry.
    assert.deepEqual(JSON.parse(section![1]!), { credHelpers: { 'registry.example.com': 'tokensmith' } });
    const profile = parseConfig(section![2]!, 'README.md', true).profiles.registry!;
    assert.deepEqual(profile.values.docker_registries, ['registry.example.com']);
    const source = readFileSync(join(repoRoot, 'packages/cli/src/docker-credential.ts'), 'utf8');
    assert.ok(source.startsWith('#!/usr/bin/env node\n'));
  });

  it('get: the server URL in, {ServerURL, Username, Secret} out; a token the server accepts, then the cache', async () => {
    const got = await runHelper(['get'], 'registry.example.test\n', env);
    assert.equal(got.code, 0, got.stdout);
    assert.equal(got.stderr, '');
    const secret = (JSON.parse(got.stdout) as { Secret: string }).Secret;
    assert.equal(
      got.stdout,
      `${JSON.stringify({ ServerURL: 'registry.example.test', Username: 'oauth2accesstoken', Secret: secret })}\n`,
    );
    const answer = await introspect(emu, secret);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, emu.clients.confidential.clientId);
    assert.equal(emu.stats.tokenRequests, 1);

    // Other spellings docker uses for the same registry: same profile, same cached token, no request.
    for (const url of ['https://registry.example.test', 'https://REGISTRY.example.test/v2/']) {
      const again = await runHelper(['get'], url, env);
      assert.equal(
        again.stdout,
        `${JSON.stringify({ ServerURL: url, Username: 'oauth2accesstoken', Secret: secret })}\n`,
      );
    }
    assert.equal(emu.stats.tokenRequests, 1);

    // Docker Hub, as docker names it: the hub profile, the default username.
    const hub = await runHelper(['get'], 'https://index.docker.io/v1/', env);
    assert.equal(hub.code, 0, hub.stdout);
    const hubSecret = (JSON.parse(hub.stdout) as { Secret: string }).Secret;
    assert.equal(
      hub.stdout,
      `${JSON.stringify({ ServerURL: 'https://index.docker.io/v1/', Username: 'oauth2', Secret: hubSecret })}\n`,
    );
    assert.equal((await introspect(emu, hubSecret)).client_id, `${emu.clients.confidential.clientId}-post`);
  });

  it('get: unknown registries and empty input get the messages docker knows', async () => {
    assert.deepEqual(await runHelper(['get'], 'ghcr.io', env), NOT_FOUND);
    assert.deepEqual(await runHelper(['get'], 'registry.example.test.evil.example', env), NOT_FOUND);
    assert.deepEqual(await runHelper(['get'], '\n', env), {
      code: 1,
      stdout: 'no credentials server URL\n',
      stderr: '',
    });
    assert.equal(emu.stats.tokenRequests, 0);
  });

  it('list: registry → username as JSON, sorted, without fetching a token', async () => {
    const listed = await runHelper(['list'], '', env);
    assert.deepEqual(listed, {
      code: 0,
      stdout:
        '{"docker.io":"oauth2","localhost:5000":"oauth2accesstoken","registry.example.test":"oauth2accesstoken"}\n',
      stderr: '',
    });
    assert.equal(emu.stats.tokenRequests, 0);
  });

  it('store keeps nothing; erase forgets the cached token (docker logout); unknown registries are not found', async () => {
    const first = JSON.parse((await runHelper(['get'], 'localhost:5000', env)).stdout) as { Secret: string };
    emu.resetStats();
    const stored = await runHelper(
      ['store'],
      JSON.stringify({ ServerURL: 'localhost:5000', Username: 'someone', Secret: 'typed-at-docker-login' }),
      env,
    );
    assert.deepEqual(stored, { code: 0, stdout: '', stderr: '' });
    const afterStore = JSON.parse((await runHelper(['get'], 'localhost:5000', env)).stdout);
    assert.deepEqual(afterStore, {
      ServerURL: 'localhost:5000',
      Username: 'oauth2accesstoken',
      Secret: first.Secret,
    });
    assert.deepEqual(await runHelper(['store'], '{"ServerURL":"localhost:5000"}', env), {
      code: 1,
      stdout: 'no credentials username\n',
      stderr: '',
    });
    assert.equal(emu.stats.tokenRequests, 0);

    assert.deepEqual(await runHelper(['erase'], 'localhost:5000', env), { code: 0, stdout: '', stderr: '' });
    const renewed = JSON.parse((await runHelper(['get'], 'localhost:5000', env)).stdout) as {
      Secret: string;
    };
    assert.notEqual(renewed.Secret, first.Secret);
    assert.equal(emu.stats.tokenRequests, 1, 'a new token after erase');
    assert.deepEqual(await runHelper(['erase'], 'ghcr.io', env), NOT_FOUND);
  });

  it('usage, version and a failing token request: one line on stdout, exit 1, no secret', async () => {
    assert.deepEqual(await runHelper([], '', env), {
      code: 1,
      stdout: 'Usage: docker-credential-tokensmith <store|get|erase|list|version>\n',
      stderr: '',
    });
    assert.deepEqual(await runHelper(['pull'], '', env), {
      code: 1,
      stdout: 'Unknown credential action `pull`\n',
      stderr: '',
    });
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8'));
    assert.deepEqual(await runHelper(['version'], '', env), {
      code: 0,
      stdout: `docker-credential-tokensmith (tokensmith) ${pkg.version}\n`,
      stderr: '',
    });

    const wrong = await runHelper(['get'], 'localhost:5000', {
      ...env,
      XDG_CACHE_HOME: join(dir, 'empty-cache'),
      DOCKER_TEST_SECRET: 'not-the-client-secret',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /^tokensmith: ERR_OAUTH_INVALID_CLIENT: [^\n]+\n$/);
    assert.ok(!wrong.stdout.includes('not-the-client-secret'));
  });

  it('tokensmith docker-credential runs the same code', async () => {
    const listed = await runCli(['docker-credential', 'list'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      listed.stdout,
      '{"docker.io":"oauth2","localhost:5000":"oauth2accesstoken","registry.example.test":"oauth2accesstoken"}\n',
    );
    assert.deepEqual(await runCli(['docker-credential', 'get'], { env, input: 'ghcr.io' }), NOT_FOUND);
  });
});
