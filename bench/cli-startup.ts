/**
 * What the CLI's warm-cache commands cost next to `node -e 0`, on a profile from a config file (as
 * people run them): `token -p P`, `token -p P --format exec-credential` and the git credential
 * helper's `get`. Median wall time of {@link RUNS} runs each, interleaved (so machine noise hits every
 * case alike), and the ratio to `node -e 0`. The first run of each, against an OIDC emulator
 * started here, fills a private cache folder; the bench checks no later run asked for a token.
 * Needs the built CLI (packages/cli/dist): `npx tsc -b packages/tokensmith packages/emulators packages/cli`.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import type { BenchModule, BenchRow } from './index.js';
import { median } from './measure.js';

const NAME = 'cli';
const RUNS = 20;
/** Target of issue #16: at most this many times `node -e 0`. */
const TARGET_RATIO = 1.3;
/** The compiled CLI: from bench/ (source) and from dist/bench/ (compiled) alike. */
const CLI = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/bench/')
      ? '../../packages/cli/dist/index.js'
      : '../packages/cli/dist/index.js',
    import.meta.url,
  ),
);
/** What git writes to a credential helper's `get`. */
const GIT_REQUEST = 'protocol=https\nhost=git.bench.example\n\n';

/** One measured command line: `node ...args`, with `input` on stdin. */
interface Case {
  name: string;
  args: string[];
  input?: string;
}

/** Wall time of one `node ...args` run, ms; throws when it fails or prints nothing on stdout. */
function timeRun(c: Case, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, c.args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(c.input ?? '');
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0 && (c.name === 'node -e 0' || stdout !== '')) resolve(ms);
      else reject(new Error(`${c.name} exited with ${code}: ${stderr.trim().split('\n')[0]}`));
    });
  });
}

async function run(): Promise<BenchRow[]> {
  const emu = await startOidcEmulator();
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-bench-cli-'));
  try {
    // The default config path ($XDG_CONFIG_HOME/tokensmith/config.toml), as people run it.
    await mkdir(join(dir, 'config', 'tokensmith'), { recursive: true });
    const config = join(dir, 'config', 'tokensmith', 'config.toml');
    await writeFile(
      config,
      [
        '[profiles.bench]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${emu.clients.confidential.clientId}"`,
        'client_secret = "env:BENCH_CLIENT_SECRET"',
        'git_hosts = ["https://git.bench.example"]',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const env = {
      ...process.env,
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      // The default log level: the first run announces the plain cache folder once (UNENCRYPTED.txt),
      // as on a machine without an OS keyring, and the runs after it read the folder as people's do.
      TOKENSMITH_LOG: undefined,
      TOKENSMITH_CACHE_KEY: undefined,
      BENCH_CLIENT_SECRET: emu.clients.confidential.clientSecret,
    };
    const cases: Case[] = [
      { name: 'node -e 0', args: ['-e', '0'] },
      { name: 'tokensmith token -p bench', args: [CLI, 'token', '-p', 'bench'] },
      {
        name: 'tokensmith token -p bench --format exec-credential',
        args: [CLI, 'token', '-p', 'bench', '--format', 'exec-credential'],
      },
      {
        name: 'tokensmith git-credential get',
        args: [CLI, 'git-credential', 'get'],
        input: GIT_REQUEST,
      },
    ];
    for (const c of cases) await timeRun(c, env); // fills the cache, warms the disk cache
    const requestsAfterWarmUp = emu.stats.tokenRequests;
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      for (const [j, c] of cases.entries()) times[j]?.push(await timeRun(c, env));
    }
    const medians = times.map(median);
    const bare = medians[0] ?? Number.NaN;
    const served =
      emu.stats.tokenRequests === requestsAfterWarmUp ? 'no token request' : 'token requests made!';
    return cases.map((c, j) => {
      const ms = medians[j] ?? Number.NaN;
      return {
        bench: NAME,
        case: c.name === 'node -e 0' ? c.name : `${c.name}, warm file cache`,
        result: `${ms.toFixed(0)} ms`,
        note:
          j === 0
            ? `median of ${RUNS}, interleaved`
            : `median of ${RUNS}; ${(ms / bare).toFixed(2)}x node -e 0 (target <= ${TARGET_RATIO}x); ${served}`,
      };
    });
  } finally {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The CLI start-up bench module. */
export const cliStartup: BenchModule = { name: NAME, run };
