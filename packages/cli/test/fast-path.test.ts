import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { type CliRun, cliArgs, cliEnv, repoRoot } from '../../../test/helpers/cli.js';

/**
 * Issue #16 item 2: `token` and the git credential helper's `get` answered from a warm file cache by
 * the fast path (packages/cli/src/fast), without commander, grant code, child_process or the keyring,
 * and with the same stdout, stderr and exit code as the full CLI (`TOKENSMITH_NO_FAST_PATH=1`) in
 * every case: a warm hit, a miss, a token in its refresh window or expired, a bad profile, a corrupt
 * entry, an encrypted cache. Each run records the modules it loaded through a module hook.
 */

/** A run of the real CLI and the ES modules it resolved (file URLs and `node:` builtins). */
interface TracedRun extends CliRun {
  modules: string[];
}

const GIT_REQUEST = 'protocol=https\nhost=git.fast.example\n\n';
/** A cache key for the tests' encrypted runs (32 bytes, base64). */
const CACHE_KEY = Buffer.alloc(32, 7).toString('base64');

describe('CLI fast path (warm cache)', () => {
  let emu: OidcEmulator;
  let dir: string;
  let hooks: string;
  let config: string;
  let cacheHome: string;
  let runNo = 0;

  before(async () => {
    emu = await startOidcEmulator();
    dir = mkdtempSync(join(tmpdir(), 'tokensmith-fast-'));
    // Resolve hook: every module a run loads (but tsx's own, when the CLI runs from source),
    // appended to the file TOKENSMITH_TEST_TRACE names.
    writeFileSync(
      join(dir, 'trace-hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const tsx = /\\/node_modules\\/tsx\\//;
  if (!tsx.test(context.parentURL ?? '') && !tsx.test(result.url)) {
    appendFileSync(process.env.TOKENSMITH_TEST_TRACE, result.url + '\\n');
  }
  return result;
}
`,
    );
    writeFileSync(
      join(dir, 'trace.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'trace-hooks.mjs')).href)});\n`,
    );
    hooks = join(dir, 'trace.mjs');
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    config = join(dir, 'config', 'tokensmith', 'config.toml');
    writeFileSync(
      config,
      [
        'default_profile = "p"',
        '[profiles.p]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${emu.clients.confidential.clientId}"`,
        'client_secret = "env:FAST_CLIENT_SECRET"',
        'scope = "openid"',
        'git_hosts = ["https://git.fast.example"]',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  });
  after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    cacheHome = mkdtempSync(join(dir, 'cache-'));
  });

  /** Run `tokensmith ...args` with the module trace; `full` turns the fast path off. */
  function run(
    args: string[],
    options: { full?: boolean; input?: string; env?: Record<string, string | undefined> } = {},
  ): Promise<TracedRun> {
    const trace = join(dir, `trace-${++runNo}.txt`);
    writeFileSync(trace, '');
    const env = cliEnv({
      env: {
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_CACHE_HOME: cacheHome,
        FAST_CLIENT_SECRET: emu.clients.confidential.clientSecret,
        TOKENSMITH_LOG: undefined,
        TOKENSMITH_PROFILE: undefined,
        TOKENSMITH_CACHE_KEY: undefined,
        // No OS keyring, whatever the machine has: the CLI then keeps plain entries and says so once.
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/tokensmith-test-bus',
        TOKENSMITH_NO_FAST_PATH: options.full ? '1' : undefined,
        TOKENSMITH_TEST_TRACE: trace,
        ...options.env,
      },
    });
    const cli = cliArgs();
    const argv = ['--import', hooks, ...cli, ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, argv, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        const modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
        resolve({ code, stdout, stderr, modules });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? '');
    });
  }

  /** Fill the cache with the full path, as a first run does, and return the token it printed. */
  async function warmUp(env: Record<string, string | undefined> = {}): Promise<string> {
    const first = await run(['token', '-p', 'p'], { full: true, env });
    assert.equal(first.code, 0, first.stderr);
    return first.stdout.trim();
  }

  /** The one cache entry file of the test's cache folder. */
  function entryFile(): string {
    const folder = join(cacheHome, 'tokensmith');
    const names = readdirSync(folder).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
    assert.equal(names.length, 1, `cache entries: ${names.join(', ')}`);
    return join(folder, names[0]!);
  }

  /** Rewrite the plain entry's record times (epoch ms). */
  function setTimes(obtainedAt: number, expiresAt: number): void {
    const file = entryFile();
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.record.obtainedAt = obtainedAt;
    doc.record.expiresAt = expiresAt;
    writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
  }

  function answeredFast(r: TracedRun): boolean {
    return r.modules.some((m) => /\/fast(-bundle)?\/run\.[jt]s$/.test(m)) && !loadedFull(r);
  }
  function loadedFull(r: TracedRun): boolean {
    return r.modules.some((m) => /\/commander\//.test(m));
  }
  const same = (r: CliRun) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

  it('a warm hit prints what the full path prints, loading no commander, grant, OAuth client, child_process or keyring', async () => {
    const token = await warmUp();
    const requests = emu.stats.tokenRequests;
    for (const args of [
      ['token', '-p', 'p'],
      ['token', '--profile=p', '--format', 'exec-credential'],
      ['token', '--format=header'],
      ['token', '-p', 'p', '--format', 'env', '--token-type', 'access'],
    ]) {
      const fast = await run(args);
      const full = await run(args, { full: true });
      assert.deepEqual(same(fast), same(full), args.join(' '));
      assert.equal(fast.code, 0);
      assert.equal(fast.stderr, '');
      assert.ok(fast.stdout.includes(token), args.join(' '));
      assert.ok(answeredFast(fast), `${args.join(' ')} did not take the fast path`);
      assert.ok(loadedFull(full));
      const heavy = fast.modules.filter((m) =>
        /\/commander\/|\/program\.[jt]s$|\/oauth2\/(grants\/|client\.|base-provider\.|load-grant\.)|oauth4webapi|@napi-rs\/keyring|^node:child_process$|^node:crypto$|\/build-source\.[jt]s$|\/manager\.[jt]s$/.test(
          m,
        ),
      );
      assert.deepEqual(heavy, [], `${args.join(' ')}: ${fast.modules.join(' ')}`);
    }
    assert.equal(emu.stats.tokenRequests, requests, 'no token request for a warm hit');
  });

  it('git credential get: the same answer as the full path, from the fast path', async () => {
    const token = await warmUp();
    const fast = await run(['git-credential', 'get'], { input: GIT_REQUEST });
    const full = await run(['git-credential', 'get'], { input: GIT_REQUEST, full: true });
    assert.deepEqual(same(fast), same(full));
    assert.equal(fast.code, 0);
    assert.ok(
      fast.stdout.startsWith(`username=oauth2\npassword=${token}\npassword_expiry_utc=`),
      fast.stdout,
    );
    assert.ok(answeredFast(fast));
  });

  it('a miss falls back before writing anything: git get re-reads its request, one token request', async () => {
    const requests = emu.stats.tokenRequests;
    const fast = await run(['git-credential', 'get'], { input: GIT_REQUEST });
    assert.equal(fast.code, 0, fast.stderr);
    assert.ok(loadedFull(fast));
    assert.match(fast.stdout, /^username=oauth2\npassword=[\w-]{20,}\npassword_expiry_utc=\d+\n$/);
    assert.equal(emu.stats.tokenRequests, requests + 1);
    // The miss announced the plain folder once; the next run answers fast, with what the miss stored.
    assert.match(fast.stderr, /are stored UNENCRYPTED .*said once per cache folder/);
    const again = await run(['git-credential', 'get'], { input: GIT_REQUEST });
    assert.ok(answeredFast(again));
    assert.equal(again.stdout.split('\n')[1], fast.stdout.split('\n')[1]);
    assert.equal(again.stderr, '');
  });

  it('a token in its refresh window or expired is left to the full path (served at once, or renewed)', async () => {
    const token = await warmUp();
    const now = Date.now();
    // Inside the 30 s window: the full path prints the cached token and renews it behind.
    setTimes(now - 3_000_000, now + 10_000);
    let requests = emu.stats.tokenRequests;
    const windowed = await run(['token']);
    assert.equal(windowed.code, 0, windowed.stderr);
    assert.equal(windowed.stdout, `${token}\n`);
    assert.equal(windowed.stderr, '');
    assert.ok(loadedFull(windowed));
    assert.equal(emu.stats.tokenRequests, requests + 1, 'one background renewal');
    // Expired: renewed before printing, by the full path.
    setTimes(now - 3_000_000, now - 1_000);
    requests = emu.stats.tokenRequests;
    const expired = await run(['token']);
    assert.equal(expired.code, 0, expired.stderr);
    assert.match(expired.stdout, /^[\w-]{20,}\n$/);
    assert.notEqual(expired.stdout, `${token}\n`);
    assert.ok(loadedFull(expired));
    assert.equal(emu.stats.tokenRequests, requests + 1);
  });

  it('a bad profile, a bad format and a flag it does not know: the full path speaks, identically', async () => {
    await warmUp();
    for (const args of [
      ['token', '-p', 'nope'],
      ['token', '--format', 'yaml'],
      ['token', '-p', 'p', '--bogus'],
    ]) {
      const fast = await run(args);
      const full = await run(args, { full: true });
      assert.deepEqual(same(fast), same(full), args.join(' '));
      assert.ok(loadedFull(fast), args.join(' '));
    }
    const bad = await run(['token', '-p', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^tokensmith: ERR_CONFIG_INVALID: profile "nope" is not in .*config\.toml \(known: p\)\n$/,
    );
    const other = 'protocol=https\nhost=other.example\n\n';
    const unknownHost = await run(['git-credential', 'get'], { input: other });
    assert.deepEqual(same(unknownHost), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(
      same(await run(['git-credential', 'get'], { input: other, full: true })),
      same(unknownHost),
    );
  });

  it('a corrupt entry: the same warning and a new token, from the full path', async () => {
    await warmUp();
    const outcomes: TracedRun[] = [];
    for (const full of [false, true]) {
      writeFileSync(entryFile(), '{"v":1,"key":', { mode: 0o600 });
      const requests = emu.stats.tokenRequests;
      const r = await run(['token'], { full });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^[\w-]{20,}\n$/);
      assert.equal(emu.stats.tokenRequests, requests + 1);
      assert.ok(loadedFull(r));
      outcomes.push(r);
    }
    assert.equal(outcomes[0]!.stderr, outcomes[1]!.stderr);
    assert.match(
      outcomes[0]!.stderr,
      /ignoring a corrupt cache file; it will be replaced .*ERR_CACHE_CORRUPT/,
    );
  });

  it('an encrypted cache with TOKENSMITH_CACHE_KEY: answered fast; a plain entry then is the full path’s', async () => {
    const env = { TOKENSMITH_CACHE_KEY: CACHE_KEY };
    const token = await warmUp(env);
    assert.equal(JSON.parse(readFileSync(entryFile(), 'utf8')).alg, 'A256GCM');
    const fast = await run(['token', '--format', 'exec-credential'], { env });
    const full = await run(['token', '--format', 'exec-credential'], { env, full: true });
    assert.deepEqual(same(fast), same(full));
    assert.ok(fast.stdout.includes(token));
    assert.ok(answeredFast(fast));
    // Without the key the sealed entry needs the keyring: the full path, which finds none, replaces it.
    const keyless = await run(['token']);
    assert.ok(loadedFull(keyless));
    assert.equal(keyless.code, 0, keyless.stderr);
    // And a plain entry while the key is set is refused (not authenticated): full path, new token.
    const requests = emu.stats.tokenRequests;
    const refused = await run(['token'], { env });
    assert.ok(loadedFull(refused));
    assert.match(refused.stderr, /is not encrypted although encryption is on/);
    assert.equal(emu.stats.tokenRequests, requests + 1);
  });

  it('a folder that needs tidying (loose mode, a dead writer’s temp file) is the full path’s to tidy', async () => {
    const token = await warmUp();
    const folder = join(cacheHome, 'tokensmith');
    const outcomes: TracedRun[] = [];
    for (const full of [false, true]) {
      chmodSync(folder, 0o755);
      const r = await run(['token'], { full });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${token}\n`);
      assert.ok(loadedFull(r));
      assert.equal(statSync(folder).mode & 0o777, 0o700);
      outcomes.push(r);
    }
    assert.equal(outcomes[0]!.stderr, outcomes[1]!.stderr);
    assert.match(outcomes[0]!.stderr, /cache folder permissions were not 0700; tightened them/);
    const temp = join(folder, `${'a'.repeat(64)}.999999999.abcdef.tmp`);
    writeFileSync(temp, 'half-written', { mode: 0o600 });
    const swept = await run(['token']);
    assert.equal(swept.stdout, `${token}\n`);
    assert.ok(loadedFull(swept));
    assert.equal(existsSync(temp), false, 'the full path swept the dead writer’s temp file');
    assert.ok(answeredFast(await run(['token'])), 'tidy again: the fast path answers');
  });

  it('a plain entry in a folder never announced as plain (warnings off) is read by the full path only', async () => {
    await warmUp({ TOKENSMITH_LOG: 'error' });
    assert.equal(readdirSync(join(cacheHome, 'tokensmith')).includes('UNENCRYPTED.txt'), false);
    const r = await run(['token'], { env: { TOKENSMITH_LOG: 'error' } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(loadedFull(r));
  });
});
