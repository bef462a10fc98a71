/** Shared setup of the Kaltura tests: an emulator with a movable clock, and a CLI runner. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KalturaEmulatorOptions, startKalturaEmulator } from '../../src/emulators/kaltura/server.js';

/** A clock the emulator (and managers) read; `advance` moves it. Starts at the real time. */
export function testClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(seconds: number) {
      offset += seconds * 1000;
    },
  };
}

/** Start an emulator on 127.0.0.1 with a random port and a fixed admin secret. */
export async function emulator(options: KalturaEmulatorOptions = {}) {
  const clock = testClock();
  const emu = await startKalturaEmulator({
    adminSecret: 'emulator-admin-secret-4f2a9c',
    partnerId: 1234567,
    categoryIds: [123456789],
    now: clock.now,
    ...options,
  });
  return { emu, clock, conn: { serviceUrl: emu.url, partnerId: emu.partnerId } };
}

/** The repository root (works from `test/` under tsx and from `dist/test/` when compiled). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) return process.cwd();
    dir = dirname(dir);
  }
  return dir;
}

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `tokensmith ...` as a child process (`node --import tsx src/cli/index.ts`). */
export function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<CliResult> {
  const root = repoRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: '1',
        TOKENSMITH_LOG: 'warn',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Assert-friendly: run a promise expected to fail and return the error. */
export async function failure(p: Promise<unknown>): Promise<Error & { code?: string; vendorCode?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string; vendorCode?: string };
  }
  throw new Error('expected a failure');
}
