import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import type { RetryOptions } from 'tokensmith/internal/core/retry.js';
import type { OAuth2CommonOptions } from 'tokensmith/internal/oauth2/options.js';
import { type FaultServer, startFaultServer } from '../../../../test/helpers/fault-server.js';

/** Small delays so the suite stays fast; jitter off so "at least the delay" is exact. */
export const RETRY: RetryOptions = { attempts: 3, baseDelayMs: 40, maxDelayMs: 1000, jitter: 0 };

/** The OIDC emulator with a fault server in front of its token endpoint. */
export interface Rig {
  emu: OidcEmulator;
  fault: FaultServer;
  /** Options for a confidential client whose token requests cross the fault server. */
  options<T extends Partial<OAuth2CommonOptions>>(extra?: T): OAuth2CommonOptions & T;
  /** Reset both servers' counters. */
  reset(): void;
  close(): Promise<void>;
}

/** Start the emulator and a fault server in front of it. Discovery goes straight to the emulator. */
export async function startRig(): Promise<Rig> {
  const emu = await startOidcEmulator();
  const fault = await startFaultServer(emu.origin);
  return {
    emu,
    fault,
    options: <T extends Partial<OAuth2CommonOptions>>(extra?: T) => ({
      issuer: emu.issuer,
      // An explicit token endpoint wins over the discovered one: token requests cross the faults,
      // while issuer and JWKS stay the emulator's so ID tokens still verify.
      tokenEndpoint: `${fault.origin}/token`,
      clientId: emu.clients.confidential.clientId,
      clientSecret: emu.clients.confidential.clientSecret,
      timeoutMs: 2000,
      retry: RETRY,
      ...(extra as T),
    }),
    reset() {
      emu.resetStats();
      fault.resetStats();
      fault.script([]);
    },
    async close() {
      await fault.close();
      await emu.close();
    },
  };
}

/** Capture log lines (warn and above) until `stop()`. */
export function captureLogs(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  configureLogging({ level: 'warn', sink: (line) => lines.push(line) });
  return {
    lines,
    stop: () => configureLogging({ level: 'silent', sink: (line) => process.stderr.write(`${line}\n`) }),
  };
}

/** Milliseconds `fn` took, with its result or error. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

// Timers have millisecond granularity and may fire up to ~1 ms before performance.now() agrees.
const TIMER_SLACK_MS = 2;

/** True when `ms` is at least `expected`, allowing for timer granularity. */
export function atLeast(ms: number, expected: number): boolean {
  return ms + TIMER_SLACK_MS >= expected;
}
