/**
 * What the proxy costs: requests per second and p50/p99 latency through `proxy.start()` next to
 * direct requests to the same loopback upstream, at 1 and 50 connections, driven by autocannon.
 * Two upstream answers: a trivial one (hello-world JSON at once: the raw overhead, with the proxy's
 * CPU competing for the same cores as the upstream and autocannon) and the same answer after a random
 * I/O wait around {@link DELAY_MS} ms with no CPU (closer to a real API, where the proxy's cost shows
 * as added latency rather than lost throughput).
 *
 * The upstream and the proxy each run in a child process (this file, started with a role flag) and
 * autocannon runs here: sharing one event loop would make the load generator and the proxy steal each
 * other's time and charge the proxy for autocannon's work. The machine's cores are still shared (three
 * busy processes through the proxy, two direct), which is what a sidecar on the same host sees too.
 * Latency percentiles are computed here from autocannon's per-response times (fractional ms), since
 * its own histogram only keeps whole milliseconds.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import { start } from 'tokensmith/internal/proxy/index.js';
import type { BenchModule, BenchRow } from './index.js';

const NAME = 'proxy';
const CHILD_FLAG = '--proxy-bench-child';
const MEASURE_S = 4;
const WARMUP_S = 1;
/**
 * The upstream answers requests to this path after DELAY_MS ± 50%, spread evenly, the rest at once.
 * A fixed delay would put all connections in lockstep (every timer firing in the same millisecond), a
 * burst pattern no real API shows and which measures timer batching, not the proxy.
 */
const DELAY_PATH = '/delayed';
/** Answered after exactly DELAY_MS. */
const FIXED_DELAY_PATH = '/delayed-fixed';
const DELAY_MS = 5;

let delaySeq = 0;
/**
 * 0.5–1.5 from the golden-ratio sequence: spread like uniform random numbers, but deterministic, so the
 * direct and proxied runs see the same delays and their medians differ by the proxy, not by sampling.
 */
function spread(): number {
  return 0.5 + ((delaySeq++ * 0.6180339887498949) % 1);
}
const TOKEN = 'bench-token-0123456789';
const BODY = JSON.stringify({ ok: true, items: [1, 2, 3] });

/** Child role `upstream`: a minimal API that checks the bearer token; {@link DELAY_PATH} answers after a timer. */
async function runUpstream(): Promise<string> {
  const server = createServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${TOKEN}`;
    const answer = () => {
      res.writeHead(ok ? 200 : 401, {
        'content-type': 'application/json',
        'content-length': ok ? BODY.length : 0,
      });
      res.end(ok ? BODY : undefined);
    };
    if (req.url === DELAY_PATH) setTimeout(answer, DELAY_MS * spread());
    else if (req.url === FIXED_DELAY_PATH) setTimeout(answer, DELAY_MS);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Child role `proxy`: the real proxy with a TokenManager over a provider that needs no network. */
async function runProxy(upstream: string): Promise<string> {
  configureLogging({ level: 'error' });
  const provider: Provider = {
    kind: 'static',
    cacheKey: 'bench',
    async acquire() {
      const now = Date.now();
      return new Credential({
        v: 1,
        kind: 'static',
        token: TOKEN,
        tokenType: 'Bearer',
        obtainedAt: now,
        expiresAt: now + 3_600_000,
      });
    },
  };
  const handle = await start({ source: new TokenManager(provider), upstream });
  return handle.url;
}

/** Start this file as a child in `role`; resolves with the URL it printed. */
async function child(role: string, arg = ''): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD_FLAG, role, arg], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} child exited with code ${code}`)));
  });
  lines.close();
  return { url, proc };
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

/** Run autocannon against `url`, collecting each response time to get sub-millisecond percentiles. */
function measure(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const instance = autocannon({ url, connections, duration: seconds, headers }, (err, result) => {
      if (err) return reject(err);
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
      resolve({
        rps: result.requests.total / (result.duration || seconds),
        p50: at(0.5),
        p99: at(0.99),
        failures: result.errors + result.timeouts + result.non2xx,
      });
    });
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
}

const ms = (v: number) => `${v.toFixed(3)} ms`;
const delta = (v: number) => `${v < 0 ? '-' : '+'}${ms(Math.abs(v))}`;
const reqs = (v: number) => `${Math.round(v).toLocaleString('en-US')} req/s`;

async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const procs: ChildProcess[] = [];
  try {
    const upstream = await child('upstream');
    procs.push(upstream.proc);
    const proxied = await child('proxy', upstream.url);
    procs.push(proxied.proc);
    // Warm up both paths (JIT, pool connections) before measuring.
    // Direct clients carry the token themselves; proxied ones carry none.
    const auth = { authorization: `Bearer ${TOKEN}` };
    await measure(upstream.url, 50, WARMUP_S, auth);
    await measure(proxied.url, 50, WARMUP_S);
    // One connection sees a fixed delay (nothing to fall in lockstep with, and Node's whole-millisecond
    // timers would make medians of spread delays jump between buckets); 50 see spread delays.
    const cases = [
      { path: '/', target: 'loopback upstream', connections: 1 },
      { path: '/', target: 'loopback upstream', connections: 50 },
      { path: FIXED_DELAY_PATH, target: `loopback upstream answering after ${DELAY_MS} ms`, connections: 1 },
      {
        path: DELAY_PATH,
        target: `loopback upstream answering after ${DELAY_MS / 2}–${DELAY_MS * 1.5} ms`,
        connections: 50,
      },
    ];
    for (const { path, target, connections } of cases) {
      {
        const direct = await measure(upstream.url + path, connections, MEASURE_S, auth);
        const through = await measure(proxied.url + path, connections, MEASURE_S);
        const label = `${connections} connection${connections === 1 ? '' : 's'}`;
        const failures = direct.failures + through.failures;
        rows.push(
          {
            bench: NAME,
            case: `direct to ${target}, ${label}`,
            result: reqs(direct.rps),
            note: `p50 ${ms(direct.p50)}, p99 ${ms(direct.p99)}`,
          },
          {
            bench: NAME,
            case: `through proxy to ${target}, ${label}`,
            result: reqs(through.rps),
            note:
              `p50 ${ms(through.p50)}, p99 ${ms(through.p99)}; ${((through.rps / direct.rps) * 100).toFixed(0)}% of direct, ` +
              `p50 ${delta(through.p50 - direct.p50)}, p99 ${delta(through.p99 - direct.p99)}` +
              (failures ? `; ${failures} failed responses` : ''),
          },
        );
        if (failures) process.exitCode = 1;
      }
    }
  } finally {
    for (const p of procs) p.kill();
  }
  return rows;
}

/** The proxy bench module. */
export const proxyThroughput: BenchModule = { name: NAME, run };

if (process.argv[2] === CHILD_FLAG) {
  const url = process.argv[3] === 'upstream' ? await runUpstream() : await runProxy(process.argv[4] ?? '');
  process.stdout.write(`${url}\n`);
}
