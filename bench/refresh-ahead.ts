/**
 * Latency of getting a token at a steady rate across renewals: 2,000 calls/s for 12 s, 4 s tokens
 * renewed 2 s before expiry, a token endpoint that answers after 50 ms. tokensmith refreshes ahead
 * (callers inside the window get the still-valid token while one renewal runs behind them);
 * google-auth-library, with `eagerRefreshThresholdMillis` at the same 2 s, makes callers wait for
 * its renewal. Per library: calls over 1 ms, p99, max, and token requests per renewal.
 * @module
 */
import { OAuth2Client } from 'google-auth-library';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { MemoryCache } from 'tokensmith/internal/core/memory-cache.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import {
  startTokenServer,
  type TokenServer,
} from '../packages/tokensmith/test/cache/fixtures/token-server.js';
import type { BenchModule, BenchRow } from './index.js';

const NAME = 'refresh-ahead';
const RATE = 2_000;
const DURATION_MS = 12_000;
const LIFETIME_S = 4;
const WINDOW_MS = 2_000;
const ENDPOINT_DELAY_MS = 50;

/** What one steady run saw. */
interface SteadyResult {
  /** Latency of each call, ms, from the call to its settlement. */
  latencies: Float64Array;
  failed: number;
  /** Distinct tokens handed out. */
  tokens: Set<string>;
}

/**
 * Call `fn` at {@link RATE} calls/s for {@link DURATION_MS}: every millisecond tick issues the calls
 * that are due, so a slow call never delays the next ones (an open-loop load, like API traffic).
 */
function steady(fn: () => Promise<string>): Promise<SteadyResult> {
  const total = (RATE * DURATION_MS) / 1000;
  const latencies = new Float64Array(total);
  const tokens = new Set<string>();
  let issued = 0;
  let settled = 0;
  let failed = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const done = () => {
      if (++settled === total) resolve({ latencies, failed, tokens });
    };
    const call = (i: number) => {
      const t0 = performance.now();
      fn().then(
        (token) => {
          latencies[i] = performance.now() - t0;
          tokens.add(token);
          done();
        },
        () => {
          latencies[i] = performance.now() - t0;
          failed++;
          done();
        },
      );
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * RATE) / 1000));
      while (issued < due) call(issued++);
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * One table row. `renewals` defaults to the new tokens callers saw (the first was obtained before the
 * run); tokensmith passes its own count, which includes a renewal still running behind the last call.
 */
function row(
  library: string,
  result: SteadyResult,
  server: TokenServer,
  renewals = result.tokens.size - 1,
): BenchRow {
  const sorted = Float64Array.from(result.latencies).sort();
  const over = sorted.filter((ms) => ms > 1).length;
  const requests = server.counts.tokenRequests;
  return {
    bench: NAME,
    case: `${library}: ${RATE.toLocaleString('en')} calls/s for ${DURATION_MS / 1000} s across renewals`,
    result: `${over} calls over 1 ms`,
    note:
      `p99 ${percentile(sorted, 99).toFixed(3)} ms, max ${(sorted[sorted.length - 1] ?? 0).toFixed(2)} ms, ` +
      `${requests} token request${requests === 1 ? '' : 's'} for ${renewals} renewal${renewals === 1 ? '' : 's'}` +
      (result.failed ? `, ${result.failed} calls failed` : ''),
  };
}

async function tokensmith(server: TokenServer): Promise<BenchRow> {
  const manager = new TokenManager(
    oauth2.clientCredentials({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'bench',
      clientSecret: 'bench-secret',
      retry: false,
    }),
    { cache: new MemoryCache(), refreshWindowSeconds: WINDOW_MS / 1000 },
  );
  await manager.getCredential();
  server.resetCounts();
  const before = manager.stats.refreshed + manager.stats.acquired;
  const result = await steady(async () => (await manager.getCredential()).token);
  await manager.idle();
  const renewals = manager.stats.refreshed + manager.stats.acquired - before;
  return row('tokensmith getCredential()', result, server, renewals);
}

async function google(server: TokenServer): Promise<BenchRow> {
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const session = (await response.json()) as { access_token: string; refresh_token: string };
  const client = new OAuth2Client({
    clientId: 'bench',
    clientSecret: 'bench-secret',
    endpoints: { oauth2TokenUrl: server.tokenEndpoint },
    eagerRefreshThresholdMillis: WINDOW_MS,
  });
  client.setCredentials({ ...session, expiry_date: Date.now() + LIFETIME_S * 1000 });
  server.resetCounts();
  const result = await steady(async () => (await client.getAccessToken()).token ?? '');
  return row('google-auth-library getAccessToken()', result, server);
}

async function run(): Promise<BenchRow[]> {
  configureLogging({ level: 'error' });
  // No rotation: google-auth-library keeps the first refresh token after a refresh (it copies the old
  // one over the new), so under rotation its second renewal is refused; rotation is not measured here.
  const server = await startTokenServer({ rotate: false, expiresIn: LIFETIME_S, delayMs: ENDPOINT_DELAY_MS });
  try {
    return [await tokensmith(server), await google(server)];
  } finally {
    await server.close();
  }
}

/** Latency at a steady 2,000 calls/s across renewals: tokensmith (refresh ahead) and google-auth-library. */
export const refreshAhead: BenchModule = { name: NAME, run };
