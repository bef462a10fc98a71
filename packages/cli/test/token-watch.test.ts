/**
 * Issue 14 item 5: `tokensmith token --output FILE --watch` keeps a token file fresh for tools that
 * read one. A real CLI child against the OIDC emulator issuing 4-second tokens: the file is written
 * atomically with mode 0600, rewritten with a new token in the refresh window, SIGTERM ends the watch
 * with exit 0 and the file stays; nothing else in the folder is touched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { runCli, spawnCli } from '../../../test/helpers/cli.js';
import { introspect } from '../../../test/helpers/introspect.js';
import { profileHome } from '../../../test/helpers/profile-home.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('token --output FILE [--watch]', () => {
  let emu: OidcEmulator;
  let env: Record<string, string>;

  before(async () => {
    emu = await startOidcEmulator({ accessTokenTtl: 4 });
    const home = profileHome(
      `[profiles.svc]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${emu.clients.confidential.clientId}"
client_secret = "env:SVC_SECRET"
cache = "memory"

[profiles.pbx]
type = "kalliope"
url = "http://127.0.0.1:9/default"
username = "admin"
password = "env:SVC_SECRET"
`,
      'tokensmith-watch-',
    );
    env = { ...home.env, SVC_SECRET: emu.clients.confidential.clientSecret };
  });
  after(() => emu.close());

  it('--watch rewrites the file with a new token before expiry; SIGTERM exits 0 and leaves the file', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-token-file-'));
    const file = join(dir, 'token');
    // What is not ours stays: a file of another tool, a temp file of another tokensmith, an old token file.
    writeFileSync(join(dir, 'other.txt'), 'keep me');
    writeFileSync(join(dir, '.token.tokensmith-1-abcdef012345.tmp'), 'not ours');
    writeFileSync(file, 'stale', { mode: 0o644 });
    const before = readdirSync(dir).sort();

    const child = spawnCli(['token', '-p', 'svc', '--output', file, '--watch'], { env });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const written = () => (stderr.match(/^tokensmith: wrote /gm) ?? []).length;
    const waiters: Array<() => void> = [];
    child.stderr.on('data', (d) => {
      stderr += d;
      for (const w of [...waiters]) w();
    });
    /** Resolves once stderr holds `n` "wrote" lines (each logged after its rename). */
    const writes = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (written() < n) return;
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        };
        waiters.push(check);
        void exited.then((code) => reject(new Error(`exited ${code} before ${n} writes:\n${stderr}`)));
        check();
      });

    try {
      await writes(1);
      const first = readFileSync(file, 'utf8');
      assert.match(first, /^[\w-]{20,}$/, 'the bare token, no newline');
      assert.equal(mode(file), 0o600);
      assert.equal((await introspect(emu, first)).active, true);
      assert.match(
        stderr,
        new RegExp(`^tokensmith: wrote ${file}; token expires \\S+Z, renewal at \\S+Z\\n`, 'm'),
      );

      // Each write holds a newly renewed token: wait for the one after what was read.
      let second = first;
      while (second === first) {
        await writes(written() + 1);
        second = readFileSync(file, 'utf8');
      }
      assert.ok(written() >= 2);
      assert.equal(mode(file), 0o600);
      assert.equal((await introspect(emu, second)).active, true);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, new RegExp(`tokensmith: stopped on SIGTERM; ${file} kept\\n$`));
    assert.equal(stdout, '');
    const last = readFileSync(file, 'utf8');
    assert.match(last, /^[\w-]{20,}$/);
    assert.equal(mode(file), 0o600);
    assert.deepEqual(readdirSync(dir).sort(), before);
    assert.equal(readFileSync(join(dir, 'other.txt'), 'utf8'), 'keep me');
    assert.equal(readFileSync(join(dir, '.token.tokensmith-1-abcdef012345.tmp'), 'utf8'), 'not ours');
  });

  it('--output alone writes once (any --format), quietly; misuse is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-token-file-'));
    const file = join(dir, 'cred.json');
    const run = await runCli(['token', '-p', 'svc', '--output', file, '--format', 'json'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, '');
    assert.equal(mode(file), 0o600);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8'))).sort(), [
      'expiresAt',
      'expiresIn',
      'token',
      'type',
    ]);
    assert.deepEqual(readdirSync(dir), ['cred.json']);

    const noFile = await runCli(['token', '-p', 'svc', '--watch'], { env });
    assert.equal(noFile.code, 2);
    assert.equal(noFile.stderr, 'tokensmith: --watch needs --output FILE\n');
    const signer = await runCli(['token', '-p', 'pbx', '--output', join(dir, 'x')], { env });
    assert.equal(signer.code, 2);
    assert.match(signer.stderr, /--output needs a token; profile "pbx" signs each request/);
    const nowhere = await runCli(['token', '-p', 'svc', '--output', join(dir, 'missing', 'token')], { env });
    assert.equal(nowhere.code, 2);
    assert.equal(
      nowhere.stderr,
      `tokensmith: ERR_CONFIG_INVALID: --output ${join(dir, 'missing', 'token')}: cannot write the file (ENOENT)\n`,
    );
    assert.deepEqual(readdirSync(dir), ['cred.json']);
  });
});
