import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DPOP_NOTE } from '@tokensmith/cli/internal/token-format.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { runCli, startCliProxy } from '../../../test/helpers/cli.js';
import { startDPoPResource } from '../../../test/helpers/dpop-resource.js';

describe('DPoP from the CLI: request, proxy, token (child processes)', () => {
  let emu: OidcEmulator;
  let api: Awaited<ReturnType<typeof startDPoPResource>>;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    emu = await startOidcEmulator({ dpop: { requireNonce: true } });
    api = await startDPoPResource({
      introspection: {
        url: `${emu.issuer}/token/introspection`,
        clientId: emu.clients.confidential.clientId,
        clientSecret: emu.clients.confidential.clientSecret,
      },
      requireNonce: true,
    });
    dir = mkdtempSync(join(tmpdir(), 'tokensmith-dpop-cli-'));
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    const file = join(dir, 'config', 'tokensmith', 'config.toml');
    writeFileSync(
      file,
      `[profiles.svc]\ntype = "oauth2"\nissuer = "${emu.issuer}"\nclient_id = "${emu.clients.confidential.clientId}"\nclient_secret = "env:SVC_SECRET"\ndpop = true\n`,
    );
    chmodSync(file, 0o600);
    env = {
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      SVC_SECRET: emu.clients.confidential.clientSecret,
      // The DPoP private key is cached with the token: encrypted, like the token.
      TOKENSMITH_CACHE_KEY: randomBytes(32).toString('base64'),
    };
  });
  beforeEach(() => {
    rmSync(join(dir, 'cache'), { recursive: true, force: true });
    emu.resetStats();
    api.seen.length = 0;
  });
  after(async () => {
    await api.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('`request` with `dpop = true`: a proof per request; a second process uses the cached token and key', async () => {
    const first = await runCli(['request', '-p', 'svc', `${api.origin}/items?page=1`], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), '{"ok":true}');
    // Token endpoint: use_dpop_nonce, then the retry with the nonce.
    assert.equal(emu.stats.tokenRequests, 2);
    const cached = readdirSync(join(dir, 'cache'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
    assert.ok(cached.length > 0);
    assert.equal(
      cached.some((text) => text.includes('"kty"') || text.includes('dpopKey')),
      false,
      'the cached key is encrypted',
    );
    const second = await runCli(['request', '-p', 'svc', '-X', 'DELETE', `${api.origin}/items/7`], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(emu.stats.tokenRequests, 2, 'the second process used the cached token and its key');
    // Each new process meets the resource server's nonce challenge once, then is accepted.
    assert.deepEqual(
      api.seen.map((s) => [s.method, s.verdict, s.htu]),
      [
        ['GET', 'use_dpop_nonce', `${api.origin}/items`],
        ['GET', 'ok', `${api.origin}/items`],
        ['DELETE', 'use_dpop_nonce', `${api.origin}/items/7`],
        ['DELETE', 'ok', `${api.origin}/items/7`],
      ],
    );
    assert.equal(new Set(api.seen.map((s) => s.jti)).size, 4);
    const leaked = [first.stderr, second.stderr].join('\n');
    assert.equal(/"d"|dpop\+jwt|eyJ/.test(leaked), false, 'no key or proof in the output');
  });

  it('ad hoc `--dpop` on `request`', async () => {
    const run = await runCli(
      [
        'request',
        `${api.origin}/adhoc`,
        '--issuer',
        emu.issuer,
        '--grant',
        'client_credentials',
        '--client-id',
        emu.clients.confidential.clientId,
        '--client-secret-env',
        'SVC_SECRET',
        '--dpop',
      ],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      api.seen.map((s) => s.verdict),
      ['use_dpop_nonce', 'ok'],
    );
  });

  it('`proxy` sends a fresh proof for the upstream URL with every request', async () => {
    const proxy = await startCliProxy(['-p', 'svc', '--upstream', api.origin], { env });
    const { url } = proxy;
    const a = await fetch(`${url}/p/one?q=1`);
    const b = await fetch(`${url}/p/two`, { method: 'PUT', body: 'x' });
    const c = await fetch(`${url}/p/one`);
    assert.deepEqual([a.status, b.status, c.status], [200, 200, 200]);
    assert.deepEqual(
      api.seen.map((s) => [s.method, s.verdict, s.htu]),
      [
        ['GET', 'use_dpop_nonce', `${api.origin}/p/one`],
        ['GET', 'ok', `${api.origin}/p/one`],
        ['PUT', 'ok', `${api.origin}/p/two`],
        ['GET', 'ok', `${api.origin}/p/one`],
      ],
    );
    assert.equal(new Set(api.seen.map((s) => s.jti)).size, 4);
    assert.equal(emu.stats.tokenRequests, 2);
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  });

  it('`token` prints the DPoP-bound token; `--format header` names the DPoP scheme', async () => {
    const raw = await runCli(['token', '-p', 'svc'], { env });
    assert.equal(raw.code, 0, raw.stderr);
    const token = raw.stdout.trim();
    assert.match(token, /^[!-~]+$/);
    const header = await runCli(['token', '-p', 'svc', '--format', 'header'], { env });
    assert.equal(header.code, 0, header.stderr);
    assert.equal(header.stdout.trim(), `Authorization: DPoP ${token}`);
    assert.equal(emu.stats.tokenRequests, 2);
  });

  it('`exec` hands the DPoP-bound token over and notes on stderr that each request needs a proof', async () => {
    const run = await runCli(
      ['exec', '-p', 'svc', '--', process.execPath, '-e', 'process.stdout.write(process.env.TOKEN)'],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[!-~]+$/);
    assert.equal(run.stderr, `${DPOP_NOTE}\n`);
  });

  it('`token` notes on stderr that a DPoP-bound token needs a proof per request; exec-credential is refused', async () => {
    const note = `${DPOP_NOTE}\n`;
    const header = await runCli(['token', '-p', 'svc', '--format', 'header'], { env });
    assert.equal(header.code, 0, header.stderr);
    assert.match(header.stdout, /^Authorization: DPoP [!-~]+\n$/);
    assert.equal(header.stderr, note);
    const token = header.stdout.trim().slice('Authorization: DPoP '.length);
    // The same from the warm cache (a later process), for raw and env too; json says `type: DPoP`.
    const raw = await runCli(['token', '-p', 'svc'], { env });
    assert.deepEqual([raw.code, raw.stdout, raw.stderr], [0, `${token}\n`, note]);
    const shell = await runCli(['token', '-p', 'svc', '--format', 'env'], { env });
    assert.deepEqual([shell.code, shell.stdout, shell.stderr], [0, `export TOKEN=${token}\n`, note]);
    const json = await runCli(['token', '-p', 'svc', '--format', 'json'], { env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, '');
    assert.equal((JSON.parse(json.stdout) as { type: string }).type, 'DPoP');
    // kubectl sends the token as Bearer, which a server must refuse for a DPoP-bound token.
    const kube = await runCli(['token', '-p', 'svc', '--format', 'exec-credential'], { env });
    assert.equal(kube.code, 1);
    assert.equal(kube.stdout, '');
    assert.match(
      kube.stderr,
      /^tokensmith: ERR_UNSUPPORTED: --format exec-credential cannot carry a DPoP-bound token/,
    );
    assert.equal(emu.stats.tokenRequests, 2);
  });
});
