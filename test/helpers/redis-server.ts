import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A throw-away `redis-server` on a random loopback port. */
export interface RedisServer {
  url: string;
  port: number;
  /** Its working folder (removed by stop()). */
  dir: string;
  /** The process, e.g. to SIGKILL it in a failover test. */
  child: ChildProcess;
  stop(): Promise<void>;
}

/** How to start a {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Restart a server where an earlier one ran (outage tests). */
  port?: number;
  /** More arguments (`--cluster-enabled yes`, `--replicaof ...`). */
  args?: string[];
  /**
   * Write this configuration file into the working folder and start with it plus `--sentinel`
   * (a sentinel rewrites its file, so each has its own). `{port}` and `{dir}` are filled in.
   */
  sentinelConfig?: string;
}

/** Absolute path of `redis-server` on PATH (or /usr/bin, /usr/local/bin), or undefined. */
export function findRedisServer(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/bin',
    '/usr/local/bin',
    '/opt/homebrew/bin',
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What to run when `redis-server` is missing (`npm test` runs it itself when it may). */
export const REDIS_INSTALL_HINT =
  'redis-server is not installed; install it with `sudo apt-get install -y redis-server` (npm test does this itself when run as root)';

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Start `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no` and wait until it
 * answers PING. `port` restarts a server where an earlier one ran (outage tests).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  // The Redis tests then fail, naming what to install; they never pass without running.
  if (!binary) throw new Error(REDIS_INSTALL_HINT);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-redis-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ];
    if (options.sentinelConfig !== undefined) {
      const file = join(dir, 'sentinel.conf');
      writeFileSync(file, options.sentinelConfig.replaceAll('{port}', String(port)).replaceAll('{dir}', dir));
      // A sentinel takes its file first and only the options a sentinel knows.
      args.splice(
        0,
        args.length,
        file,
        '--sentinel',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
      );
    }
    const child = spawn(binary, [...args, ...(options.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    try {
      await waitForPong(port, child);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        dir,
        child,
        stop: async () => {
          process.removeListener('exit', killOnExit);
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = new Error(`redis-server did not start: ${(err as Error).message}\n${output}`);
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no PONG');
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
