/**
 * What `tokensmith token` costs with a warm file cache, next to `node -e 0`: the median wall time
 * of {@link RUNS} runs each (interleaved, so machine noise hits both alike) and their ratio. The
 * first run, against an OIDC emulator started here, fills a private cache folder.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import type { BenchModule, BenchRow } from './index.js';
import { median } from './measure.js';

const NAME = 'cli';
const RUNS = 15;
/** The compiled CLI, next to this file's folder in dist/. */
const CLI = fileURLToPath(new URL('../../packages/cli/dist/index.js', import.meta.url));

/** Wall time of one `node ...args` run, ms; throws when it fails. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args[0]} ... exited with ${code}: ${stderr.trim().split('\n')[0]}`));
    });
  });
}

async function run(): Promise<BenchRow[]> {
  const emu = await startOidcEmulator();
  const cacheHome = await mkdtemp(join(tmpdir(), 'tokensmith-bench-cli-'));
  try {
    const env = {
      ...process.env,
      XDG_CACHE_HOME: cacheHome,
      TOKENSMITH_LOG: 'error',
      BENCH_CLIENT_SECRET: emu.clients.confidential.clientSecret,
    };
    const token = [
      CLI,
      'token',
      '--issuer',
      emu.issuer,
      '--client-id',
      emu.clients.confidential.clientId,
      '--client-secret-env',
      'BENCH_CLIENT_SECRET',
    ];
    await timeRun(token, env); // fills the cache
    const requestsAfterWarmUp = emu.stats.tokenRequests;
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await timeRun(['-e', '0'], env));
      cli.push(await timeRun(token, env));
    }
    const cliMs = median(cli);
    const bareMs = median(bare);
    const served =
      emu.stats.tokenRequests === requestsAfterWarmUp ? 'no token request' : 'token requests made!';
    return [
      {
        bench: NAME,
        case: 'node -e 0',
        result: `${bareMs.toFixed(0)} ms`,
        note: `median of ${RUNS}`,
      },
      {
        bench: NAME,
        case: 'tokensmith token, warm file cache',
        result: `${cliMs.toFixed(0)} ms`,
        note: `median of ${RUNS}; ${(cliMs / bareMs).toFixed(2)}x node -e 0 (target < 2x); ${served}`,
      },
    ];
  } finally {
    await emu.close();
    await rm(cacheHome, { recursive: true, force: true });
  }
}

/** The CLI start-up bench module. */
export const cliStartup: BenchModule = { name: NAME, run };
