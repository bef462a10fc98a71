/**
 * What the proxy costs, next to nginx: requests per second, p50/p99 latency and CPU per request
 * through `proxy.start()`, through nginx (Debian's, one worker, `proxy_pass` with a static
 * `Authorization` and upstream keep-alive), through a bare node:http + undici proxy (the floor a Node
 * proxy starts from) and direct to the same loopback upstream, at 1 and 50 connections, driven by
 * autocannon. Two upstream answers: a trivial one (hello-world JSON at once: the raw overhead, with
 * the proxy's CPU competing for the same cores as the upstream and autocannon) and the same answer
 * after a random I/O wait around {@link DELAY_MS} ms with no CPU (closer to a real API, where the
 * proxy's cost shows as added latency rather than lost throughput).
 *
 * The upstream and each proxy run in a child process (this file, started with a role flag; nginx as
 * itself) and autocannon runs here: sharing one event loop would make the load generator and the
 * proxy steal each other's time and charge the proxy for autocannon's work. The machine's cores are
 * still shared, which is what a sidecar on the same host sees too. CPU per request is the proxy
 * process's user + system time (/proc/PID/stat; for nginx its worker, not the master) over the
 * measured windows, divided by the requests answered; each case runs interleaved rounds (below).
 * Latency percentiles are computed here from autocannon's per-response times (fractional ms), since
 * its own histogram keeps whole milliseconds.
 *
 * `proxy-memory` (a separate module: about a minute) sends 1,000,000 requests through the
 * proxy and reports its resident memory after 100,000 and after 1,000,000.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import { start } from 'tokensmith/internal/proxy/index.js';
import { Pool } from 'undici';
import type { BenchModule, BenchRow } from './index.js';

const NAME = 'proxy';
const CHILD_FLAG = '--proxy-bench-child';
/** Seconds per measured window; each case runs {@link ROUNDS} windows per target, interleaved. */
const MEASURE_S = 2;
/**
 * Interleaved rounds per case (every target once per round, in turn), reported by the median round:
 * on a shared machine the load from other work shifts within seconds, and interleaving spreads it
 * over all targets instead of charging it to whichever ran at the time.
 */
const ROUNDS = 3;
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

/**
 * Child role `floor`: the least a Node proxy does: node:http in, an undici Pool out with a static
 * `Authorization`, the answer streamed back. No guard, path check, header filtering or renewal.
 */
async function runFloor(upstream: string): Promise<string> {
  const pool = new Pool(upstream, { connections: 128 });
  const auth = `Bearer ${TOKEN}`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    pool.request(
      { path: req.url ?? '/', method: req.method as 'GET', headers: { authorization: auth }, body: null },
      (err, answer) => {
        if (err) {
          res.writeHead(502).end();
          return;
        }
        res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
        pipeline(answer.body, res, () => {});
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Start this file as a child in `role`; resolves with the URL it printed. */
async function child(role: string, arg = ''): Promise<{ url: string; proc: ChildProcess }> {
  // execArgv carries tsx's loader when the bench runs from source.
  const proc = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, role, arg],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} child exited with code ${code}`)));
  });
  lines.close();
  return { url, proc };
}

/** A free loopback port (for nginx, which takes no port 0 and reports none). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Where Debian puts nginx; PATH otherwise. */
function nginxBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' });
  const path = found.stdout.trim().split('\n')[0];
  if (!path) throw new Error('nginx is not installed (Debian: apt-get install -y nginx)');
  return path;
}

/**
 * nginx as the reference reverse proxy: one worker, `proxy_pass` to the upstream with a static
 * `Authorization`, HTTP/1.1 keep-alive to the upstream (64 idle connections), no access log.
 * `keepalive_requests` is raised on both sides: its default (1000) closes connections as the Node
 * proxies never do, costing nginx reconnects and spoiling autocannon's latencies. Every
 * path it writes is in a temp dir, so it runs unprivileged. Resolves once it accepts connections.
 */
async function startNginx(
  upstream: string,
): Promise<{ url: string; proc: ChildProcess; worker: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tokensmith-bench-nginx-'));
  // As root, the worker runs as nobody and needs to reach its temp dirs.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const upstreamHost = new URL(upstream).host;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream api {
    server ${upstreamHost};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${TOKEN}";
    }
  }
}
`,
  );
  const proc = spawn(
    nginxBinary(),
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const exited = new Promise<never>((_, reject) =>
    proc.once('exit', (code) => reject(new Error(`nginx exited with code ${code}; see ${dir}/error.log`))),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await Promise.race([accepts(port), exited]);
    if (up) break;
    if (i === 100) throw new Error('nginx did not start listening within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const worker = childPids(proc.pid as number)[0];
  if (worker === undefined) throw new Error('nginx has no worker process');
  return { url, proc, worker, dir };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The fields of /proc/PID/stat after the command name (the first is field 3, the state). */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Processes whose parent is `pid`. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(entry)[1]) === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * CPU time is sampled at each clock tick: at a few hundred requests a second, a process woken by the
 * timer interrupt is charged whole ticks it barely used (nginx and Node alike show 5–20× their
 * loaded figure), so CPU per request is shown only above this rate.
 */
const MIN_RPS_FOR_CPU = 1000;

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** User + system CPU seconds the process has used so far (utime, stime: fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

/** Resident memory of the process, in MiB. */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  /** Requests answered in the window. */
  requests: number;
  /** CPU seconds the measured process used in the window, NaN when none was measured. */
  cpu: number;
}

/**
 * Run autocannon against `url`, collecting each response time to get sub-millisecond percentiles,
 * and the CPU time `pid` used meanwhile.
 */
async function measure(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
  pid?: number,
): Promise<Measured> {
  const cpuBefore = pid === undefined ? 0 : cpuSeconds(pid);
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, headers }, (err, r) =>
      err ? reject(err) : resolve(r),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  const cpu = pid === undefined ? Number.NaN : cpuSeconds(pid) - cpuBefore;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
  return {
    rps: result.requests.total / (result.duration || seconds),
    p50: at(0.5),
    p99: at(0.99),
    failures: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
    cpu,
  };
}

const ms = (v: number) => `${v.toFixed(3)} ms`;
const reqs = (v: number) => `${Math.round(v).toLocaleString('en-US')} req/s`;

/** The round with the median throughput, its failures and CPU per request taken over all rounds. */
function medianRound(all: Measured[]): Measured & { cpuUs: number } {
  const mid = [...all].sort((a, b) => a.rps - b.rps)[Math.floor(all.length / 2)] as Measured;
  const sum = (f: (m: Measured) => number) => all.reduce((n, m) => n + f(m), 0);
  return {
    ...mid,
    failures: sum((m) => m.failures),
    cpuUs: (sum((m) => m.cpu) / sum((m) => m.requests)) * 1e6,
  };
}

/** Something requests go to: the upstream itself or a proxy in front of it. */
interface Target {
  name: string;
  url: string;
  /** The process whose CPU is counted (none for direct). */
  pid?: number;
  headers: Record<string, string>;
}

async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const procs: ChildProcess[] = [];
  let nginxDir: string | undefined;
  try {
    const upstream = await child('upstream');
    procs.push(upstream.proc);
    const nginx = await startNginx(upstream.url);
    procs.push(nginx.proc);
    nginxDir = nginx.dir;
    const floor = await child('floor', upstream.url);
    procs.push(floor.proc);
    const proxied = await child('proxy', upstream.url);
    procs.push(proxied.proc);
    // Direct clients carry the token themselves; proxied ones carry none.
    const auth = { authorization: `Bearer ${TOKEN}` };
    const targets: Target[] = [
      { name: 'direct', url: upstream.url, headers: auth },
      { name: 'nginx (1 worker)', url: nginx.url, pid: nginx.worker, headers: {} },
      { name: 'bare node:http + undici', url: floor.url, pid: floor.proc.pid, headers: {} },
      { name: 'tokensmith proxy', url: proxied.url, pid: proxied.proc.pid, headers: {} },
    ];
    // Warm up every path (JIT, pool connections) before measuring.
    for (const t of targets) await measure(t.url, 50, WARMUP_S, t.headers);
    // One connection sees a fixed delay (nothing to fall in lockstep with, and Node's whole-millisecond
    // timers would make medians of spread delays jump between buckets); 50 see spread delays.
    const cases = [
      { path: '/', target: 'zero-work upstream', connections: 1 },
      { path: '/', target: 'zero-work upstream', connections: 50 },
      { path: FIXED_DELAY_PATH, target: `upstream answering after ${DELAY_MS} ms`, connections: 1 },
      {
        path: DELAY_PATH,
        target: `upstream answering after ${DELAY_MS / 2}–${DELAY_MS * 1.5} ms`,
        connections: 50,
      },
    ];
    for (const { path, target, connections } of cases) {
      const label = `${connections} connection${connections === 1 ? '' : 's'}`;
      const rounds = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of targets) {
          rounds.get(t.name)?.push(await measure(t.url + path, connections, MEASURE_S, t.headers, t.pid));
        }
      }
      const results = new Map([...rounds].map(([name, all]) => [name, medianRound(all)] as const));
      const direct = results.get('direct') as ReturnType<typeof medianRound>;
      const reference = results.get('nginx (1 worker)') as ReturnType<typeof medianRound>;
      for (const t of targets) {
        const m = results.get(t.name) as ReturnType<typeof medianRound>;
        const notes = [`p50 ${ms(m.p50)}, p99 ${ms(m.p99)}`];
        if (t.pid !== undefined) {
          notes.push(
            `${(m.rps / reference.rps).toFixed(2)}× nginx, ${((m.rps / direct.rps) * 100).toFixed(0)}% of direct`,
            m.rps >= MIN_RPS_FOR_CPU
              ? `CPU ${m.cpuUs.toFixed(1)} µs/req (all rounds)`
              : `CPU/req not shown below ${MIN_RPS_FOR_CPU.toLocaleString('en-US')} req/s`,
          );
        }
        if (m.failures) {
          notes.push(`${m.failures} failed responses`);
          process.exitCode = 1;
        }
        rows.push({
          bench: NAME,
          case: `${t.name} → ${target}, ${label}`,
          result: reqs(m.rps),
          note: notes.join('; '),
        });
      }
    }
  } finally {
    for (const p of procs) p.kill();
    if (nginxDir) rmSync(nginxDir, { recursive: true, force: true });
  }
  return rows;
}

/** The proxy bench module. */
export const proxyThroughput: BenchModule = { name: NAME, run };

const MEMORY_FIRST = 100_000;
const MEMORY_TOTAL = 1_000_000;

/** Send `amount` requests through `url` over 50 connections; returns the failures. */
function send(url: string, amount: number): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 50, amount }, (err, r) =>
      err ? reject(err) : resolve(r.errors + r.timeouts + r.non2xx),
    );
  });
}

/** RSS of the proxy after 100,000 and after 1,000,000 requests to the zero-work upstream. */
async function runMemory(): Promise<BenchRow[]> {
  const procs: ChildProcess[] = [];
  try {
    const upstream = await child('upstream');
    procs.push(upstream.proc);
    const proxied = await child('proxy', upstream.url);
    procs.push(proxied.proc);
    const pid = proxied.proc.pid as number;
    const started = rssMiB(pid);
    const t0 = performance.now();
    let failures = await send(proxied.url, MEMORY_FIRST);
    const first = rssMiB(pid);
    failures += await send(proxied.url, MEMORY_TOTAL - MEMORY_FIRST);
    const last = rssMiB(pid);
    const seconds = (performance.now() - t0) / 1000;
    if (failures) process.exitCode = 1;
    const mib = (v: number) => `${v.toFixed(1)} MiB`;
    const count = (n: number) => n.toLocaleString('en-US');
    return [
      {
        bench: 'proxy-memory',
        case: `proxy RSS after ${count(MEMORY_FIRST)} requests (50 connections, zero-work upstream)`,
        result: mib(first),
        note: `${mib(started)} at start`,
      },
      {
        bench: 'proxy-memory',
        case: `proxy RSS after ${count(MEMORY_TOTAL)} requests`,
        result: mib(last),
        note:
          `${(((last - first) / first) * 100).toFixed(1)}% over the RSS after ${count(MEMORY_FIRST)}; ` +
          `${count(Math.round(MEMORY_TOTAL / seconds))} req/s` +
          (failures ? `; ${failures} failed responses` : ''),
      },
    ];
  } finally {
    for (const p of procs) p.kill();
  }
}

/** The proxy memory bench module (1,000,000 requests: a few minutes, so not in the default set). */
export const proxyMemory: BenchModule = { name: 'proxy-memory', run: runMemory };

if (process.argv[2] === CHILD_FLAG) {
  const role = process.argv[3];
  const arg = process.argv[4] ?? '';
  const url =
    role === 'upstream' ? await runUpstream() : role === 'floor' ? await runFloor(arg) : await runProxy(arg);
  process.stdout.write(`${url}\n`);
  // Exit cleanly when killed, so that `node --cpu-prof` run on a child writes its profile.
  process.once('SIGTERM', () => process.exit(0));
}
