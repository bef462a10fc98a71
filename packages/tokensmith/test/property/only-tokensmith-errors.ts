import { type ErrorCode, TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';

/** Runs per property: enough to find the classic edge cases, small enough to keep a file under ~10 s. */
export const RUNS = 1000;

/** Parsers log warnings (plain http, unknown privileges): keep the test output clean. */
export function quietLogs(): void {
  configureLogging({ level: 'silent' });
}

function check(err: unknown, codes: readonly ErrorCode[]): void {
  if (!(err instanceof TokensmithError)) {
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new Error(`threw something other than a TokensmithError: ${what}`);
  }
  if (!codes.includes(err.code)) throw new Error(`unexpected code ${err.code}: ${err.message}`);
}

/**
 * Call `fn`; anything it throws must be a TokensmithError with one of `codes`. Returns the result,
 * or undefined when it threw.
 */
export function onlyTokensmithErrors<T>(codes: readonly ErrorCode[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    check(err, codes);
    return undefined;
  }
}

/** {@link onlyTokensmithErrors} for async functions. */
export async function onlyTokensmithErrorsAsync<T>(
  codes: readonly ErrorCode[],
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    check(err, codes);
    return undefined;
  }
}
