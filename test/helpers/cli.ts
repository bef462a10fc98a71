/**
 * The one way tests run the `tokensmith` CLI as a child process. Under `npm test` the tests run
 * compiled under dist/, and the CLI is the built packages/cli/dist/index.js that the package's `bin`
 * points at, as users run it. A test run from its TypeScript source (node --import tsx) runs the CLI
 * from source the same way, so work in progress needs no build.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Output of one CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How to start the CLI. */
export interface CliOptions {
  /**
   * Variables added to the child's environment (after the defaults: `TOKENSMITH_LOG=warn`,
   * `NO_COLOR=1` and a private `XDG_CACHE_HOME`); `undefined` removes one.
   */
  env?: Record<string, string | undefined>;
  /** Text written to stdin (`runCli` only; default: none, stdin is closed). */
  input?: string;
  /**
   * Start from this process's environment (default true). `false` keeps only PATH and HOME, so a
   * developer's own variables (KALTURA_*, KALLIOPE_*...) cannot change what a test sees.
   */
  inheritEnv?: boolean;
}

const here = fileURLToPath(import.meta.url);
const compiled = here.includes('/dist/');
/** The checkout root: above dist/ when compiled, above test/ otherwise. */
export const repoRoot = here.slice(0, here.lastIndexOf(compiled ? '/dist/' : '/test/'));

const testCacheHome = mkdtempSync(join(tmpdir(), 'tokensmith-cli-test-'));

/** Command line that runs the CLI: the built one under `npm test`, the TypeScript source otherwise. */
export function cliArgs(): string[] {
  return compiled
    ? [`${repoRoot}/packages/cli/dist/index.js`]
    : ['--import', 'tsx', `${repoRoot}/packages/cli/src/index.ts`];
}

/** The environment a CLI child gets for `options`. */
export function cliEnv(options: Pick<CliOptions, 'env' | 'inheritEnv'> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv =
    options.inheritEnv === false ? { PATH: process.env.PATH, HOME: process.env.HOME } : { ...process.env };
  // A private cache folder per test process, so runs never see a developer's own tokens.
  const env: NodeJS.ProcessEnv = {
    ...base,
    TOKENSMITH_LOG: 'warn',
    NO_COLOR: '1',
    XDG_CACHE_HOME: testCacheHome,
  };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Start `tokensmith ...args` and return the child, for commands that keep running (proxy,
 * emulators) until the test stops them. stdin is a pipe, stdout and stderr are read by the caller.
 */
export function spawnCli(
  args: string[],
  options: Omit<CliOptions, 'input'> = {},
): ChildProcessByStdio<Writable, Readable, Readable> {
  return spawn(process.execPath, [...cliArgs(), ...args], {
    cwd: repoRoot,
    env: cliEnv(options),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** A running `tokensmith proxy` child (see {@link startCliProxy}). */
export interface CliProxy {
  /** The JSON line the proxy printed first (`url`, `upstream`, `profile`). */
  url: string;
  profile: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code once it has drained and closed. */
  stop(): Promise<number | null>;
}

/**
 * Start `tokensmith proxy ...args --json` and wait for the line with its URL; fails with the proxy's
 * stderr when it exits first.
 */
export async function startCliProxy(
  args: string[],
  options: Omit<CliOptions, 'input'> = {},
): Promise<CliProxy> {
  const child = spawnCli(['proxy', ...args, '--json'], options);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    child.on('close', () => reject(new Error(`proxy exited early: ${stderr}`)));
  });
  const { url, profile } = JSON.parse(first) as { url: string; profile: string };
  return {
    url,
    profile,
    stderr: () => stderr,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Run `tokensmith ...args` to its end as a child process. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // the CLI may exit before reading its input
    child.stdin.end(options.input ?? '');
  });
}

/**
 * `tokensmith token` with ad hoc flags for a client-credentials client at `tokenEndpoint`, its secret
 * in the environment variable `secretEnv`; add further flags after it.
 */
export function adhocToken(tokenEndpoint: string, clientId: string, secretEnv = 'CS'): string[] {
  return [
    'token',
    '--token-endpoint',
    tokenEndpoint,
    '--grant',
    'client_credentials',
    '--client-id',
    clientId,
    '--client-secret-env',
    secretEnv,
  ];
}
