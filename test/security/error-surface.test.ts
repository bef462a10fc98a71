/**
 * Issue 11, item 13: the error surface says what the README says. Exit codes follow the README
 * (configuration errors, `ERR_INSECURE_HTTP` among them, exit 2); the README's Errors table, the
 * `ErrorCode` union and the codes the sources use are the same set; the proxy's health answer only
 * reports real codes; and the redactor masks values, not the prose after "password:".
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import { REDACTED, redact } from 'tokensmith/internal/core/redact.js';
import { HEALTH_PATH } from 'tokensmith/internal/proxy/health.js';
import { start as startProxy } from 'tokensmith/internal/proxy/server.js';
import { adhocToken, runCli } from '../helpers/cli.js';
import { type HostileServer, json, startHostileServer } from './hostile-server.js';

const here = fileURLToPath(import.meta.url);
const root = here.slice(0, here.lastIndexOf(here.includes('/dist/') ? '/dist/' : '/test/'));

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const ERRORS_FILE = join(root, 'packages', 'tokensmith', 'src', 'core', 'errors.ts');

/** The members of the `ErrorCode` union, read from its declaration. */
function unionCodes(): Set<string> {
  const text = readFileSync(ERRORS_FILE, 'utf8');
  const decl = /export type ErrorCode =([^;]*);/.exec(text);
  assert.ok(decl, 'errors.ts declares ErrorCode');
  return new Set([...decl[1]!.matchAll(/'(ERR_[A-Z0-9_]+)'/g)].map((m) => m[1]!));
}

/** The codes listed in the README's Errors table (first column). */
function readmeCodes(): Set<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /\n### Errors\n([\s\S]*?)\n#{2,3} /.exec(readme);
  assert.ok(section, 'the README has an Errors section');
  const codes = new Set<string>();
  for (const line of section[1]!.split('\n')) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const m of first.matchAll(/`(ERR_[A-Z0-9_]+)`/g)) codes.add(m[1]!);
  }
  return codes;
}

/** Each `'ERR_…'` string literal in src outside errors.ts, with the files that use it. */
function usedCodes(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const packages = ['tokensmith', 'emulators', 'cli'].map((p) => join(root, 'packages', p, 'src'));
  for (const file of packages.flatMap(sources)) {
    if (file === ERRORS_FILE) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) {
      // Backticked names in comments are documentation, not code.
      const line = readFileSync(file, 'utf8').slice(0, m.index).split('\n').at(-1) ?? '';
      if (/^\s*(\*|\/\/)/.test(line)) continue;
      used.set(m[1]!, [...(used.get(m[1]!) ?? []), file.slice(root.length + 1)]);
    }
  }
  return used;
}

describe('error codes: README table, ErrorCode union and sources agree (issue 11 item 13)', () => {
  it('every code used in src is in the union and in the README table', () => {
    const union = unionCodes();
    const readme = readmeCodes();
    const missing: string[] = [];
    for (const [code, files] of usedCodes()) {
      if (!union.has(code)) missing.push(`${code} (used in ${files.join(', ')}) is not in ErrorCode`);
      if (!readme.has(code)) missing.push(`${code} (used in ${files.join(', ')}) is not in the README table`);
    }
    assert.deepEqual(missing, []);
  });

  it('every code in the union is used in src and listed in the README; the README lists no other', () => {
    const union = unionCodes();
    const readme = readmeCodes();
    const used = usedCodes();
    assert.deepEqual(
      [...union].filter((c) => !used.has(c)),
      [],
      'codes in ErrorCode that nothing throws',
    );
    assert.deepEqual(
      [...union].filter((c) => !readme.has(c)),
      [],
      'codes in ErrorCode missing from the README',
    );
    assert.deepEqual(
      [...readme].filter((c) => !union.has(c)),
      [],
      'README codes that are not in ErrorCode',
    );
  });
});

describe('CLI exit codes follow the README (issue 11 item 13)', () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer();
  });
  after(() => server.close());

  const adhoc = (endpoint: string) => [...adhocToken(endpoint, 'c'), '--no-cache'];

  it('ERR_INSECURE_HTTP is a configuration error: exit 2, nothing sent', async () => {
    // `.invalid` never resolves (RFC 6761), and the URL is refused before any lookup.
    const run = await runCli(adhoc('http://auth.example.invalid/token'), { env: { CS: 'exit-code-cs-1' } });
    assert.match(run.stderr, /tokensmith: ERR_INSECURE_HTTP: /);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
  });

  it('ERR_CONFIG_INVALID exits 2; a malformed server answer exits 1', async () => {
    const bad = await runCli(adhoc('ftp://127.0.0.1/token'), { env: { CS: 'exit-code-cs-2' } });
    assert.match(bad.stderr, /tokensmith: ERR_CONFIG_INVALID: /);
    assert.equal(bad.code, 2);
    server.on('/token', json({ token_type: 'Bearer' }));
    const malformed = await runCli(adhoc(server.url('/token')), { env: { CS: 'exit-code-cs-3' } });
    assert.match(malformed.stderr, /tokensmith: ERR_RESPONSE_MISSING_FIELD: /);
    assert.equal(malformed.code, 1);
  });
});

describe('redaction masks values, not prose (issue 11 item 13)', () => {
  it('keeps the words after "password:" or "secret:" in messages', () => {
    for (const text of [
      'password: standard input was empty',
      'client secret: standard input was empty',
      'password: environment variable TOKENSMITH_PASSWORD is not set',
      'Token: expired since yesterday',
      'the Bearer token was refused',
      'uses Basic authentication',
    ]) {
      assert.equal(redact(text), text);
    }
  });

  it('still masks values after keys, quoted or not, and credentials after schemes', () => {
    const cases: Array<[string, string]> = [
      ['password=hunter', `password=${REDACTED}`],
      ['client_secret = s3cr3t-value', `client_secret = ${REDACTED}`],
      ['{"password":"plainword"}', `{"password":"${REDACTED}"}`],
      ["password: 'plainword'", `password: '${REDACTED}'`],
      ['password:plainword', `password:${REDACTED}`],
      ['password: hunter2', `password: ${REDACTED}`],
      ['secret: Ab3x-9_kk', `secret: ${REDACTED}`],
      ['refresh_token: abcDEF', `refresh_token: ${REDACTED}`],
      ['ks=djJ8MTIzNDU2N3xabc', `ks=${REDACTED}`],
      ['Authorization: Bearer abc123XYZ', `Authorization: Bearer ${REDACTED}`],
      ['Basic dXNlcjpwYXNz', `Basic ${REDACTED}`],
      ['Digest="q1w2e3r4t5"', `Digest="${REDACTED}"`],
    ];
    for (const [text, expected] of cases) assert.equal(redact(text), expected, text);
  });

  it('the CLI prints a usage error about an empty secret in full', async () => {
    const run = await runCli(
      [
        'token',
        '--no-cache',
        '--token-endpoint',
        'http://127.0.0.1:9/token',
        '--client-id',
        'c',
        '--client-secret-stdin',
      ],
      { input: '' },
    );
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'tokensmith: client secret: standard input was empty\n');
  });
});

describe('the proxy health answer reports only real codes (issue 11 item 13)', () => {
  it('a provider failing with a foreign error gives 503 and a code of the ErrorCode union', async () => {
    const upstream = await startHostileServer();
    const failing: Provider = {
      kind: 'custom',
      cacheKey: 'custom:failing',
      acquire: async () => {
        throw new Error('boom');
      },
    };
    const proxy = await startProxy({
      source: new TokenManager(failing, { cache: new MemoryCache() }),
      upstream: upstream.origin,
    });
    try {
      const res = await fetch(proxy.url + HEALTH_PATH);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { status: string; error?: { code: string } };
      assert.equal(body.status, 'error');
      assert.equal(body.error?.code, 'ERR_NETWORK');
      assert.ok(unionCodes().has(body.error.code));
      assert.equal(upstream.seen.length, 0, 'health is answered locally');
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
