import { UsageError } from './io.js';

/**
 * `--min-validity SECONDS` as a number of seconds (undefined when not given): a whole number ≥ 0,
 * else a usage error. The manager renews first when the token would expire sooner.
 */
export function parseMinValidity(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim())) {
    throw new UsageError(`--min-validity must be a whole number of seconds (got "${value.slice(0, 20)}")`);
  }
  return Number(value.trim());
}
