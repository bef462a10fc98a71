/**
 * tokensmith next to other token libraries, measured in the same run:
 * - `lookups`: cached credential lookups per second (tokensmith with the memory and file caches,
 *   google-auth-library's `OAuth2Client.getAccessToken()`, simple-oauth2's `expired()` check) next
 *   to a bare `Map.get` + `Date.now()`;
 * - `stampede`: token requests caused by 1,000 concurrent callers when the token has just expired,
 *   against a loopback token endpoint that rotates refresh tokens (a reused one is refused).
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { type AccessToken, AuthorizationCode } from 'simple-oauth2';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { MemoryCache } from 'tokensmith/internal/core/memory-cache.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import {
  startTokenServer,
  type TokenServer,
} from '../packages/tokensmith/test/cache/fixtures/token-server.js';
import type { BenchModule, BenchRow } from './index.js';
import { callsPerSecond, interleavedCallsPerSecond, perCall, rate, syncCallsPerSecond } from './measure.js';

const CALLERS = 1000;
const HOUR_MS = 3_600_000;

/** Client options every library gets: the loopback token server, a client id and a secret. */
function clientOf(server: TokenServer) {
  return { tokenEndpoint: server.tokenEndpoint, clientId: 'bench', clientSecret: 'bench-secret' };
}

/** A live session at the token server: an access token and its refresh token, as a peer would hold them. */
async function session(server: TokenServer): Promise<{ access_token: string; refresh_token: string }> {
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return (await response.json()) as { access_token: string; refresh_token: string };
}

function googleClient(server: TokenServer): OAuth2Client {
  const c = clientOf(server);
  return new OAuth2Client({
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    endpoints: { oauth2TokenUrl: c.tokenEndpoint },
  });
}

function simpleOAuth2Client(server: TokenServer): AuthorizationCode {
  const c = clientOf(server);
  const url = new URL(c.tokenEndpoint);
  return new AuthorizationCode({
    client: { id: c.clientId, secret: c.clientSecret },
    auth: { tokenHost: url.origin, tokenPath: url.pathname },
  });
}

/** A tokensmith manager holding a credential from the server; `clock.offset` moves its time. */
async function tokensmithManager(server: TokenServer, cache: CredentialCache, clock = { offset: 0 }) {
  const manager = new TokenManager(oauth2.clientCredentials({ ...clientOf(server), retry: false }), {
    cache,
    now: () => Date.now() + clock.offset,
  });
  await manager.getCredential();
  return manager;
}

async function lookupRows(server: TokenServer, dir: string): Promise<BenchRow[]> {
  const row = (name: string, perSecond: number, note?: string): BenchRow => ({
    bench: 'lookups',
    case: name,
    result: rate(perSecond),
    note: note ? `${perCall(perSecond)}; ${note}` : perCall(perSecond),
  });
  const map = new Map([['key', { expiresAt: Date.now() + HOUR_MS }]]);
  const lookup = () => {
    const e = map.get('key');
    return e !== undefined && e.expiresAt > Date.now() ? e : undefined;
  };
  const baseline = syncCallsPerSecond(lookup);
  const memory = await tokensmithManager(server, new MemoryCache());
  // The floor of an async API: the same lookup in an async function, awaited (cheaper than awaiting
  // the sync lookup's plain value). Interleaved with tokensmith's fast path, which should cost no
  // more: one await of an already-resolved promise.
  const [awaitedBaseline = 0, memoryRate = 0] = await interleavedCallsPerSecond([
    async () => lookup(),
    () => memory.getCredential(),
  ]);
  const ofAwaited = `${((memoryRate / awaitedBaseline) * 100).toFixed(0)}% of the awaited baseline`;
  const file = await tokensmithManager(server, new FileCache({ dir }));
  const fileRate = await callsPerSecond(() => file.getCredential());

  const google = googleClient(server);
  google.setCredentials({ access_token: 'at-google', expiry_date: Date.now() + 100 * HOUR_MS });
  const googleRate = await callsPerSecond(() => google.getAccessToken());

  const token = simpleOAuth2Client(server).createToken({
    access_token: 'at-simple',
    expires_at: new Date(Date.now() + 100 * HOUR_MS).toISOString(),
  });
  const simpleRate = syncCallsPerSecond(() => {
    if (token.expired()) throw new Error('unexpected expiry');
    return token.token.access_token;
  });
  return [
    row('bare Map.get + Date.now() (baseline)', baseline, 'sync loop'),
    row('bare Map.get + Date.now(), awaited (baseline)', awaitedBaseline, 'in an async function, awaited'),
    row('tokensmith getCredential(), memory cache', memoryRate, ofAwaited),
    row('tokensmith getCredential(), file cache', fileRate, 'served from the manager after the first read'),
    row('google-auth-library getAccessToken()', googleRate),
    row('simple-oauth2 expired() + token.access_token', simpleRate, 'sync loop: no await, no refresh logic'),
  ];
}

/** Run `callers` at once; returns the settled results. */
function all<T>(fn: () => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(Array.from({ length: CALLERS }, fn));
}

function stampedeRow(
  library: string,
  server: TokenServer,
  results: PromiseSettledResult<string>[],
): BenchRow {
  const failed = results.filter((r) => r.status === 'rejected').length;
  const tokens = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
  const working = [...tokens].filter((t) => server.isActive(t)).length;
  const n = server.counts.tokenRequests;
  return {
    bench: 'stampede',
    case: `${library}: ${CALLERS.toLocaleString('en')} concurrent callers at expiry`,
    result: `${n} token request${n === 1 ? '' : 's'}`,
    note:
      `${server.counts.invalidGrant} invalid_grant, ${failed} callers failed, ` +
      `${tokens.size} distinct token(s), ${working} still accepted`,
  };
}

async function stampedeRows(server: TokenServer): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];

  const clock = { offset: 0 };
  const manager = await tokensmithManager(server, new MemoryCache(), clock);
  clock.offset = 2 * HOUR_MS; // past the server's one-hour expires_in
  server.resetCounts();
  rows.push(stampedeRow('tokensmith', server, await all(async () => (await manager.getCredential()).token)));

  const google = googleClient(server);
  const g = await session(server);
  google.setCredentials({ ...g, expiry_date: Date.now() - 1000 });
  server.resetCounts();
  rows.push(
    stampedeRow(
      'google-auth-library',
      server,
      await all(async () => (await google.getAccessToken()).token ?? ''),
    ),
  );

  // The pattern simple-oauth2 documents: `if (accessToken.expired()) accessToken = await accessToken.refresh()`.
  const s = await session(server);
  let token: AccessToken = simpleOAuth2Client(server).createToken({
    ...s,
    expires_at: new Date(Date.now() - 1000).toISOString(),
  });
  server.resetCounts();
  rows.push(
    stampedeRow(
      'simple-oauth2',
      server,
      await all(async () => {
        if (token.expired()) token = await token.refresh();
        return String(token.token.access_token);
      }),
    ),
  );
  return rows;
}

async function withServer(
  fn: (server: TokenServer, dir: string) => Promise<BenchRow[]>,
): Promise<BenchRow[]> {
  configureLogging({ level: 'error' });
  const server = await startTokenServer({ rotate: true, delayMs: 50 });
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-bench-peers-'));
  try {
    return await fn(server, dir);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Cached lookups per second: tokensmith (memory, file), google-auth-library, simple-oauth2, a bare Map. */
export const peerLookups: BenchModule = { name: 'lookups', run: () => withServer(lookupRows) };

/** Token requests from 1,000 concurrent callers at expiry: tokensmith, google-auth-library, simple-oauth2. */
export const peerStampede: BenchModule = { name: 'stampede', run: () => withServer(stampedeRows) };
