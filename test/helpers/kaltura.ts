/** Shared setup of the Kaltura tests: an emulator with a movable clock, and the CLI runner. */
import {
  type KalturaEmulatorOptions,
  startKalturaEmulator,
} from '@tokensmith/emulators/internal/kaltura/server.js';
import { type CliRun, runCli } from './cli.js';

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

/** Result of one CLI run. */
export type CliResult = CliRun;

/**
 * Run `tokensmith ...` through the shared runner ({@link runCli}), with only PATH and HOME from this
 * process's environment, so a developer's own KALTURA_* variables never reach the Kaltura tests.
 */
export function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<CliResult> {
  return runCli(args, { env, input: stdin, inheritEnv: false });
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
